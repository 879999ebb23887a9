// Package secret reads a secret kept in a file (a Kubernetes or Docker
// secret, a file readable by the service's user only), so that it need not
// be given on the command line, where /proc/PID/cmdline shows it to every
// user of the machine.
package secret

import (
	"fmt"
	"os"
	"strings"
)

// ReadFile returns the file's content without the line break that an
// editor or `echo` leaves at its end; an empty secret is an error.
func ReadFile(name string) (string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s is empty", name)
	}
	return v, nil
}
