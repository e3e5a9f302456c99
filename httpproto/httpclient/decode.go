package httpclient

import (
	"bytes"
	"io"
	"strconv"

	"github.com/gale-io/gale/httpproto"
	"github.com/klauspost/compress/gzip"
)

// gunzip decodes a gzip body (every member of it), refusing to produce more
// than limit bytes: a decompression bomb fails with an *httpproto.Error
// matching httpproto.ErrBodyTooLarge. An empty body (a HEAD or 304
// response) decodes to nothing.
func gunzip(z []byte, limit int64) ([]byte, error) {
	if len(z) == 0 {
		return nil, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var out bytes.Buffer
	out.Grow(min(int(limit), 4*len(z)))
	n, err := out.ReadFrom(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, &httpproto.Error{Code: httpproto.CodeBodyTooLarge,
			Detail: "decompressed body over " + strconv.FormatInt(limit, 10) + " bytes"}
	}
	return out.Bytes(), nil
}
