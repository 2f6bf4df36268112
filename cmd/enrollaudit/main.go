// Command enrollaudit checks that enrollments made on a health-insurance
// marketplace reached the insurers intact. See README.md.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
