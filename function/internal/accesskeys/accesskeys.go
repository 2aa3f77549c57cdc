// Package accesskeys holds the access keys S3 clients sign their requests
// to the function URL front (and `s3archivefs serve`) with, and answers
// which keys and listing prefixes each one may read.
//
// The keys are a JSON document, from a Secrets Manager secret on Lambda or
// a local file elsewhere:
//
//	{"keys": [{"access_key_id": "AKIA…", "secret_access_key": "…", "allow_prefixes": ["datasets/", "public/"]}]}
//
// An allowed prefix "" allows every key. The document is read at start
// (a bad one stops the process) and again once it is older than the
// refresh interval, on the first request after that: a rotated key works
// without a restart, and a frozen Lambda instance makes no calls while it
// sleeps. A failed or invalid re-read keeps the keys already loaded.
//
// Nothing here logs or formats a secret.
package accesskeys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Key is one access key and what it may read.
type Key struct {
	AccessKeyID     string   `json:"access_key_id"`
	SecretAccessKey string   `json:"secret_access_key"`
	AllowPrefixes   []string `json:"allow_prefixes"`
}

// maxDocument bounds the keys document (Secrets Manager's own limit is
// 64 KiB; a local file could be anything).
const maxDocument = 1 << 20

// Parse reads and validates a keys document. Its errors name the key by
// position and access key id, never by secret.
func Parse(data []byte) (map[string]Key, error) {
	if len(data) > maxDocument {
		return nil, fmt.Errorf("keys document is %d bytes, more than %d", len(data), maxDocument)
	}
	var doc struct {
		Keys []Key `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf(`keys document is not the expected JSON ({"keys": [{"access_key_id", "secret_access_key", "allow_prefixes"}]}): %s`, jsonProblem(err))
	}
	if dec.More() {
		return nil, errors.New("keys document has data after its JSON object")
	}
	if len(doc.Keys) == 0 {
		return nil, errors.New(`keys document has no keys (want {"keys": [...]})`)
	}
	keys := make(map[string]Key, len(doc.Keys))
	for i, k := range doc.Keys {
		where := fmt.Sprintf("keys[%d]", i)
		switch {
		case k.AccessKeyID == "":
			return nil, fmt.Errorf("%s: access_key_id is empty", where)
		case strings.ContainsAny(k.AccessKeyID, "/ ,=\t\r\n"):
			return nil, fmt.Errorf("%s (%s): access_key_id may not contain '/', ',', '=' or spaces (SigV4 could not carry it)", where, k.AccessKeyID)
		case k.SecretAccessKey == "":
			return nil, fmt.Errorf("%s (%s): secret_access_key is empty", where, k.AccessKeyID)
		case len(k.AllowPrefixes) == 0:
			return nil, fmt.Errorf(`%s (%s): allow_prefixes is empty, so the key could read nothing; [""] allows every key`, where, k.AccessKeyID)
		}
		if _, dup := keys[k.AccessKeyID]; dup {
			return nil, fmt.Errorf("%s: access_key_id %s appears twice", where, k.AccessKeyID)
		}
		keys[k.AccessKeyID] = k
	}
	return keys, nil
}

// jsonProblem describes a decoding error without the input's bytes: a
// syntax error quotes the offending character, which may be part of a
// secret.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be %s, not a JSON %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the JSON is incomplete"
	}
	return err.Error() // unknown field "name": names only
}

// Source reads the keys document.
type Source interface {
	// Read returns the document's bytes.
	Read(ctx context.Context) ([]byte, error)
	// String names the source (a path or an ARN) for errors and logs.
	String() string
}

// Store is the current set of keys, re-read from its source when stale.
// It is safe for concurrent use.
type Store struct {
	src      Source
	interval time.Duration
	logger   *slog.Logger
	now      func() time.Time

	mu      sync.RWMutex
	keys    map[string]Key
	checked time.Time // last read attempt, successful or not

	refreshing sync.Mutex // one re-read at a time
}

// Options configures a Store.
type Options struct {
	// Interval is how old the keys may get before a request re-reads
	// them (S3ARCHIVEFS_KEYS_REFRESH_INTERVAL).
	Interval time.Duration
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Open reads the keys once; an unreadable or invalid document is an error.
func Open(ctx context.Context, src Source, o Options) (*Store, error) {
	if o.Interval <= 0 {
		return nil, fmt.Errorf("accesskeys: refresh interval must be positive, got %s", o.Interval)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Store{src: src, interval: o.Interval, logger: o.Logger, now: o.Now}
	keys, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	s.keys, s.checked = keys, s.now()
	s.logger.Info("access keys loaded", "source", src.String(), "keys", len(keys))
	return s, nil
}

func (s *Store) read(ctx context.Context) (map[string]Key, error) {
	data, err := s.src.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("access keys from %s: %w", s.src, err)
	}
	keys, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("access keys from %s: %w", s.src, err)
	}
	return keys, nil
}

// Refresh re-reads the keys if they are older than the interval. The
// request that finds them stale waits for the read; requests arriving
// meanwhile use the keys already loaded. On failure the loaded keys stay
// and the next attempt is an interval later.
func (s *Store) Refresh(ctx context.Context) {
	if !s.stale() || !s.refreshing.TryLock() {
		return
	}
	defer s.refreshing.Unlock()
	if !s.stale() { // another request refreshed meanwhile
		return
	}
	keys, err := s.read(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checked = s.now()
	if err != nil {
		s.logger.Warn("access keys not refreshed; keeping the keys loaded before", "source", s.src.String(), "err", err.Error())
		return
	}
	if changed(s.keys, keys) {
		s.logger.Info("access keys refreshed", "source", s.src.String(), "keys", len(keys))
	}
	s.keys = keys
}

func (s *Store) stale() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.now().Sub(s.checked) >= s.interval
}

func changed(a, b map[string]Key) bool {
	if len(a) != len(b) {
		return true
	}
	for id, k := range a {
		o, ok := b[id]
		if !ok || o.SecretAccessKey != k.SecretAccessKey || strings.Join(o.AllowPrefixes, "\x00") != strings.Join(k.AllowPrefixes, "\x00") {
			return true
		}
	}
	return false
}

func (s *Store) key(id string) (Key, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[id]
	return k, ok
}

// SecretKey returns the secret of an access key (it implements
// sigv4.Keys).
func (s *Store) SecretKey(id string) (string, bool) {
	k, ok := s.key(id)
	return k.SecretAccessKey, ok
}

// MayRead reports whether the access key may read an object key, or list
// a prefix: whether it starts with one of the key's allowed prefixes.
func (s *Store) MayRead(id, keyOrPrefix string) bool {
	k, ok := s.key(id)
	if !ok {
		return false
	}
	for _, p := range k.AllowPrefixes {
		if strings.HasPrefix(keyOrPrefix, p) {
			return true
		}
	}
	return false
}
