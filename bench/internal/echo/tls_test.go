package echo

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
)

func rootsOf(t *testing.T, conf *tls.Config) *x509.CertPool {
	t.Helper()
	cert, err := x509.ParseCertificate(conf.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
