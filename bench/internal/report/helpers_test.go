package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

func fmtSscan(s string, i *int) (int, error) { return fmt.Sscan(s, i) }

func xmlWellFormed(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}
