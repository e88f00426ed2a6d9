package main

import "fmt"

var fmtSscanf = fmt.Sscanf
