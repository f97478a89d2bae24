package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The "http" area: a net/http server and client talking over 127.0.0.1,
// with keep-alive on and off, every body checked.
func init() {
	register("http", testHTTP)
}

// body is the deterministic content served for size n.
func body(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + (i*7+n)%26)
	}
	return b
}

func testHTTP(c *t) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.Errorf("listen: %v", err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Write(body(n))
	})
	mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		sum := sha256.Sum256(data)
		fmt.Fprint(w, hex.EncodeToString(sum[:]))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	for _, keepAlive := range []bool{true, false} {
		tr := &http.Transport{DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 8}
		client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		const workers, perWorker = 8, 40
		var wg sync.WaitGroup
		var mu sync.Mutex
		failures := 0
		fail := func(format string, args ...interface{}) {
			mu.Lock()
			defer mu.Unlock()
			if failures < 5 {
				c.Errorf("keep-alive %v: "+format, append([]interface{}{keepAlive}, args...)...)
			}
			failures++
		}
		start := time.Now()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < perWorker; i++ {
					n := (w*perWorker + i) * 997 % 70000
					if i%2 == 0 {
						resp, err := client.Get(base + "/get?n=" + strconv.Itoa(n))
						if err != nil {
							fail("GET %d: %v", n, err)
							continue
						}
						got, err := io.ReadAll(resp.Body)
						resp.Body.Close()
						if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, body(n)) {
							fail("GET %d: status %d, %d bytes, %v", n, resp.StatusCode, len(got), err)
						}
						continue
					}
					data := body(n + 1)
					resp, err := client.Post(base+"/post", "application/octet-stream", bytes.NewReader(data))
					if err != nil {
						fail("POST %d: %v", n, err)
						continue
					}
					got, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					sum := sha256.Sum256(data)
					if err != nil || string(got) != hex.EncodeToString(sum[:]) {
						fail("POST %d: %q %v", n, got, err)
					}
				}
			}(w)
		}
		wg.Wait()
		tr.CloseIdleConnections()
		c.Logf("keep-alive %v: %d requests in %v", keepAlive, workers*perWorker, time.Since(start))
	}
}
