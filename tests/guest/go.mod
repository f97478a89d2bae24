module eggos/guest

go 1.19
