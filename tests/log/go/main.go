// An outside implementation for the log formats: Go's golang.org/x/mod/sumdb/note (C2SP signed notes) and
// sumdb/tlog (RFC 6962/9162 trees and proofs). tests/log/go_interop_test.cc drives it both ways:
//
//	logpeer check DIR     verifies our signed checkpoint (DIR/vkey, DIR/checkpoint.note), recomputes the
//	                      tree from DIR/entries.txt (hex, one entry per line) and checks every proof in
//	                      DIR/proofs.jsonl (our proof JSON, one per line): Go's Check* must accept it and
//	                      Go's own Prove* must produce the same hashes. Prints "ok <n> proofs".
//	logpeer make DIR N    makes its own key, N entries, a signed checkpoint and proofs in the same files,
//	                      for the C++ side to verify.
//
// Go's tlog names its tile paths differently from C2SP tlog-tiles; only notes, hashes and proofs are
// compared. Build offline: GO111MODULE=off GOPATH=/usr/share/gocode go build.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type proofJSON struct {
	Type      string   `json:"type"`
	LeafIndex *int64   `json:"leaf_index,omitempty"`
	TreeSize  *int64   `json:"tree_size,omitempty"`
	LeafHash  string   `json:"leaf_hash,omitempty"`
	Root      string   `json:"root,omitempty"`
	Size1     *int64   `json:"size1,omitempty"`
	Size2     *int64   `json:"size2,omitempty"`
	Root1     string   `json:"root1,omitempty"`
	Root2     string   `json:"root2,omitempty"`
	Proof     []string `json:"proof"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "logpeer: "+format+"\n", args...)
	os.Exit(1)
}

func must(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

func hexHash(s string) tlog.Hash {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		fail("bad hash %q", s)
	}
	var h tlog.Hash
	copy(h[:], b)
	return h
}

func hexHashes(ss []string) []tlog.Hash {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		out[i] = hexHash(s)
	}
	return out
}

func toHex(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// A tree held in memory as Go's stored hashes.
type tree struct {
	stored []tlog.Hash
	n      int64
}

func (t *tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.stored)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = t.stored[x]
	}
	return out, nil
}

func (t *tree) add(entry []byte) {
	hs, err := tlog.StoredHashes(t.n, entry, t)
	must(err, "StoredHashes")
	t.stored = append(t.stored, hs...)
	t.n++
}

func readLines(path string) []string {
	f, err := os.Open(path)
	must(err, "open "+path)
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		if s.Text() != "" {
			out = append(out, s.Text())
		}
	}
	must(s.Err(), "read "+path)
	return out
}

func readFile(path string) []byte {
	b, err := os.ReadFile(path)
	must(err, "read "+path)
	return b
}

// parseCheckpoint reads origin, size and root; tlog.ParseTree insists on the go.sum origin.
func parseCheckpoint(text string) (string, int64, tlog.Hash) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		fail("checkpoint has fewer than three lines")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	must(err, "checkpoint size")
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root")
	}
	var h tlog.Hash
	copy(h[:], root)
	return lines[0], n, h
}

func check(dir string) {
	vkey := strings.TrimSpace(string(readFile(filepath.Join(dir, "vkey"))))
	verifier, err := note.NewVerifier(vkey)
	must(err, "NewVerifier")
	n, err := note.Open(readFile(filepath.Join(dir, "checkpoint.note")), note.VerifierList(verifier))
	must(err, "note.Open")
	origin, size, root := parseCheckpoint(n.Text)
	if origin != verifier.Name() {
		fail("origin %q is not the key name %q", origin, verifier.Name())
	}

	t := &tree{}
	for _, line := range readLines(filepath.Join(dir, "entries.txt")) {
		e, err := hex.DecodeString(line)
		must(err, "entry hex")
		t.add(e)
	}
	if t.n != size {
		fail("checkpoint size %d, entries %d", size, t.n)
	}
	th, err := tlog.TreeHash(size, t)
	must(err, "TreeHash")
	if th != root {
		fail("checkpoint root %s, Go computes %s", root, th)
	}

	count := 0
	for _, line := range readLines(filepath.Join(dir, "proofs.jsonl")) {
		var p proofJSON
		must(json.Unmarshal([]byte(line), &p), "proof JSON")
		switch p.Type {
		case "inclusion":
			idx, ts := *p.LeafIndex, *p.TreeSize
			r := hexHash(p.Root)
			want, err := tlog.TreeHash(ts, t)
			must(err, "TreeHash")
			if r != want {
				fail("inclusion %d/%d: root differs from Go's", idx, ts)
			}
			must(tlog.CheckRecord(hexHashes(p.Proof), ts, r, idx, hexHash(p.LeafHash)), fmt.Sprintf("CheckRecord %d/%d", idx, ts))
			mine, err := tlog.ProveRecord(ts, idx, t)
			must(err, "ProveRecord")
			if strings.Join(toHex(mine), ",") != strings.Join(p.Proof, ",") {
				fail("inclusion %d/%d: Go's proof differs", idx, ts)
			}
		case "consistency":
			s1, s2 := *p.Size1, *p.Size2
			r1, r2 := hexHash(p.Root1), hexHash(p.Root2)
			must(tlog.CheckTree(hexHashes(p.Proof), s2, r2, s1, r1), fmt.Sprintf("CheckTree %d/%d", s1, s2))
			mine, err := tlog.ProveTree(s2, s1, t)
			must(err, "ProveTree")
			if strings.Join(toHex(mine), ",") != strings.Join(p.Proof, ",") {
				fail("consistency %d/%d: Go's proof differs", s1, s2)
			}
		default:
			fail("unknown proof type %q", p.Type)
		}
		count++
	}
	fmt.Printf("ok %d proofs\n", count)
}

func write(path string, data []byte) {
	must(os.WriteFile(path, data, 0o644), "write "+path)
}

func mk(dir string, n int64) {
	const origin = "go.peer.example/log"
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	must(err, "GenerateKey")
	signer, err := note.NewSigner(skey)
	must(err, "NewSigner")

	t := &tree{}
	var entries strings.Builder
	for i := int64(0); i < n; i++ {
		e := []byte(fmt.Sprintf("go entry %d", i))
		t.add(e)
		entries.WriteString(hex.EncodeToString(e) + "\n")
	}
	root, err := tlog.TreeHash(n, t)
	must(err, "TreeHash")
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, n, base64.StdEncoding.EncodeToString(root[:]))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	must(err, "note.Sign")

	var proofs strings.Builder
	emit := func(p proofJSON) {
		b, err := json.Marshal(p)
		must(err, "marshal")
		proofs.Write(b)
		proofs.WriteString("\n")
	}
	for idx := int64(0); idx < n; idx += 1 + idx/3 {
		for _, ts := range []int64{idx + 1, (idx + n + 1) / 2, n} {
			p, err := tlog.ProveRecord(ts, idx, t)
			must(err, "ProveRecord")
			th, err := tlog.TreeHash(ts, t)
			must(err, "TreeHash")
			i, s := idx, ts
			leaf := tlog.RecordHash([]byte(fmt.Sprintf("go entry %d", idx)))
			emit(proofJSON{Type: "inclusion", LeafIndex: &i, TreeSize: &s,
				LeafHash: hex.EncodeToString(leaf[:]),
				Root:     hex.EncodeToString(th[:]), Proof: toHex(p)})
		}
	}
	for s1 := int64(1); s1 <= n; s1 += 1 + s1/4 {
		for _, s2 := range []int64{s1, (s1 + n) / 2, n} {
			if s2 < s1 {
				continue
			}
			p, err := tlog.ProveTree(s2, s1, t)
			must(err, "ProveTree")
			h1, err := tlog.TreeHash(s1, t)
			must(err, "TreeHash")
			h2, err := tlog.TreeHash(s2, t)
			must(err, "TreeHash")
			a, b := s1, s2
			emit(proofJSON{Type: "consistency", Size1: &a, Size2: &b, Root1: hex.EncodeToString(h1[:]),
				Root2: hex.EncodeToString(h2[:]), Proof: toHex(p)})
		}
	}
	write(filepath.Join(dir, "vkey"), []byte(vkey+"\n"))
	write(filepath.Join(dir, "checkpoint.note"), msg)
	write(filepath.Join(dir, "entries.txt"), []byte(entries.String()))
	write(filepath.Join(dir, "proofs.jsonl"), []byte(proofs.String()))
	fmt.Printf("ok %d entries\n", n)
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: logpeer check DIR | logpeer make DIR N")
	}
	switch os.Args[1] {
	case "check":
		check(os.Args[2])
	case "make":
		if len(os.Args) != 4 {
			fail("usage: logpeer make DIR N")
		}
		n, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil || n < 1 {
			fail("N must be a positive integer")
		}
		mk(os.Args[2], n)
	default:
		fail("unknown command %q", os.Args[1])
	}
}
