module eggos

go 1.22
