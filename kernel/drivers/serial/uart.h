/*
 * uart.h - the 16550 serial port COM1, the console the tests read.
 */
#pragma once

#include "lib/types.h"

/* Probe and initialize COM1 (115200 8N1) and register it as a console. */
void uart_console_init(void);
/* True when COM1 answered the probe. */
bool uart_present(void);
/* Write bytes to COM1, translating \n to \r\n. */
void uart_write(const char *buf, size_t len);
/* Enable the receive interrupt; each byte goes to rx(byte). */
void uart_enable_rx(void (*rx)(uint8_t byte));
