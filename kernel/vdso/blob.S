/*
 * blob.S - the vDSO image (build/vdso/vdso.so, built from kernel/vdso/vdso.c
 * by the Makefile, which passes its path as VDSO_IMAGE) embedded in the
 * kernel's read-only data. vdso_map.c copies it into pages of its own at
 * boot and maps those into every process.
 */
    .section .rodata
    .balign 4096
    .global vdso_image_start, vdso_image_end
vdso_image_start:
    .incbin VDSO_IMAGE
vdso_image_end:
