package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// conns sends requests over HTTP/1.1 connections kept open, as the API
// server's client does, with less of the load generator's own work per
// request than net/http's client (a goroutine hand-off for the write and
// another for the read of every request): the request is written and its
// answer read by the goroutine sending it. Up to keep connections are kept
// between requests; more are opened while all are busy, up to max.
type conns struct {
	host    string // host:port, dialled and sent as Host
	tls     *tls.Config
	max     int
	timeout time.Duration

	mu   sync.Mutex
	idle []*conn
	open int
	wait *sync.Cond
	keep int
}

// conn is one connection and its read buffer.
type conn struct {
	c   *tls.Conn
	r   *bufio.Reader
	buf []byte
}

func newConns(url string, pool *x509.CertPool, idle, max int) *conns {
	host := strings.TrimPrefix(url, "https://")
	c := &conns{host: host, max: max, keep: idle, timeout: 30 * time.Second,
		tls: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}}
	c.wait = sync.NewCond(&c.mu)
	return c
}

// get returns an idle connection, a new one while fewer than max are
// open, or the next to come back.
func (p *conns) get(ctx context.Context) (*conn, error) {
	p.mu.Lock()
	for len(p.idle) == 0 && p.open >= p.max {
		p.wait.Wait()
	}
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.open++
	p.mu.Unlock()
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: p.timeout}, Config: p.tls}
	nc, err := d.DialContext(ctx, "tcp", p.host)
	if err != nil {
		p.drop()
		return nil, err
	}
	return &conn{c: nc.(*tls.Conn), r: bufio.NewReaderSize(nc, 16<<10)}, nil
}

// put keeps a connection for the next request, or closes it when enough
// are idle already.
func (p *conns) put(c *conn) {
	p.mu.Lock()
	if len(p.idle) < p.keep {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
		p.wait.Signal()
		return
	}
	p.mu.Unlock()
	c.c.Close()
	p.drop()
}

func (p *conns) drop() {
	p.mu.Lock()
	p.open--
	p.mu.Unlock()
	p.wait.Signal()
}

func (p *conns) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.idle {
		c.c.Close()
	}
	p.open -= len(p.idle)
	p.idle = nil
}

// post sends one request and reads its answer, returning an error for
// anything but HTTP 200.
func (p *conns) post(ctx context.Context, path string, body []byte) error {
	c, err := p.get(ctx)
	if err != nil {
		return err
	}
	c.buf = append(c.buf[:0], "POST "...)
	c.buf = append(c.buf, path...)
	c.buf = append(c.buf, " HTTP/1.1\r\nHost: "...)
	c.buf = append(c.buf, p.host...)
	c.buf = append(c.buf, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	c.buf = strconv.AppendInt(c.buf, int64(len(body)), 10)
	c.buf = append(c.buf, "\r\n\r\n"...)
	c.buf = append(c.buf, body...)
	c.c.SetDeadline(time.Now().Add(p.timeout))
	if _, err := c.c.Write(c.buf); err != nil {
		c.c.Close()
		p.drop()
		return err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		c.c.Close()
		p.drop()
		return err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.c.Close()
		p.drop()
	} else {
		p.put(c)
	}
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, data)
	}
	return nil
}
