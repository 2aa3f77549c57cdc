package archive

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	tail := bytes.Repeat([]byte("tail"), 1000)
	r := &record{Size: 100_000, ETag: `"e"`, LastModified: time.Unix(1700000000, 0).UTC(), Checked: time.Unix(1700000100, 5),
		Head: segment{off: 0, data: []byte("head")}, Tail: segment{off: 100_000 - int64(len(tail)), data: tail}}
	got, err := unmarshalRecord(r.marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != r.Size || got.ETag != r.ETag || !got.LastModified.Equal(r.LastModified) || !got.Checked.Equal(r.Checked) ||
		got.Prefetched || !bytes.Equal(got.Head.data, r.Head.data) || got.Tail.off != r.Tail.off || !bytes.Equal(got.Tail.data, tail) {
		t.Fatalf("round trip: got %+v", got)
	}

	// Prefetched: the tail is in the chunk cache; the record keeps where
	// it starts, not its bytes.
	r.Prefetched = true
	b := r.marshal()
	if len(b) > 200 {
		t.Errorf("prefetched record of %d bytes: the tail's bytes are still in it", len(b))
	}
	got, err = unmarshalRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Prefetched || got.Tail.off != r.Tail.off || len(got.Tail.data) != 0 || !bytes.Equal(got.Head.data, r.Head.data) {
		t.Fatalf("prefetched round trip: got %+v", got)
	}
	if r.Tail.data == nil {
		t.Error("marshal dropped the tail of the record in memory")
	}
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x10
		if _, err := unmarshalRecord(c); err == nil {
			t.Fatalf("byte %d flipped: record accepted", i)
		}
	}
}

// TestRecordTailChecked: a tail that does not end at the object's end is
// refused, unless the record says the region is cached and carries none.
func TestRecordTailChecked(t *testing.T) {
	seal := func(b []byte) []byte { return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)) }
	cases := []struct {
		name       string
		prefetched bool
		off        int64
		tail       []byte
		ok         bool
	}{
		{"whole tail", false, 990, make([]byte, 10), true},
		{"tail short of the end", false, 980, make([]byte, 10), false},
		{"tail past the end", false, 995, make([]byte, 10), false},
		{"no tail bytes, not prefetched", false, 990, nil, false},
		{"no tail bytes, prefetched", true, 990, nil, true},
		{"no tail bytes, prefetched, past the end", true, 1001, nil, false},
		{"negative tail", true, -1, nil, false},
	}
	for _, c := range cases {
		b := []byte(recordMagic)
		b = binary.AppendVarint(b, 1000)
		b = binary.AppendUvarint(b, 1)
		b = append(b, 'e')
		b = binary.AppendVarint(b, 0)
		b = binary.AppendVarint(b, 0)
		if c.prefetched {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = binary.AppendVarint(b, 0)
		b = binary.AppendUvarint(b, 1)
		b = append(b, 'h')
		b = binary.AppendVarint(b, c.off)
		b = binary.AppendUvarint(b, uint64(len(c.tail)))
		b = append(b, c.tail...)
		_, err := unmarshalRecord(seal(b))
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
