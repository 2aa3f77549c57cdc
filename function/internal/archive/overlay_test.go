package archive

import (
	"bytes"
	"testing"
)

// TestReaderComposition: the overlay and the split return the same bytes as
// the object they stand in front of, for reads inside, across and outside
// their segments and boundary.
func TestReaderComposition(t *testing.T) {
	obj := make([]byte, 1000)
	for i := range obj {
		obj[i] = byte(i * 7)
	}
	whole := bytes.NewReader(obj)
	r := overlay{
		segments: []segment{{off: 0, data: obj[:96]}, {off: 900, data: obj[900:]}},
		rest:     split{at: 640, low: whole, high: whole},
	}
	for _, c := range []struct{ off, n int64 }{{0, 96}, {10, 50}, {90, 20}, {600, 40}, {630, 20}, {640, 1}, {639, 2}, {899, 101}, {950, 50}, {0, 1000}} {
		got := make([]byte, c.n)
		n, err := r.ReadAt(got, c.off)
		if err != nil || int64(n) != c.n || !bytes.Equal(got, obj[c.off:c.off+c.n]) {
			t.Errorf("ReadAt(%d, %d) = %d, %v; bytes equal: %v", c.off, c.n, n, err, bytes.Equal(got, obj[c.off:c.off+c.n]))
		}
	}
}
