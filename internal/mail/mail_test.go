package mail

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is a minimal SMTP server that records one message per connection.
type fakeSMTP struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
	rcpt []string
}

func startFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(c net.Conn) {
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(s string) { fmt.Fprintf(c, "%s\r\n", s) }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-fake")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO"):
			f.mu.Lock()
			f.rcpt = append(f.rcpt, strings.TrimSpace(line[len("RCPT TO:"):]))
			f.mu.Unlock()
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.TrimRight(l, "\r\n") == "." {
					break
				}
				b.WriteString(l)
			}
			f.mu.Lock()
			f.msgs = append(f.msgs, b.String())
			f.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func TestSMTPDelivers(t *testing.T) {
	f := startFakeSMTP(t)
	s, err := NewSMTP("smtp://"+f.ln.Addr().String()+"?tls=off", "Roster <roster@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), Message{To: "max@acme.test", Subject: "Max, you are invited", Text: "Open https://roster.example.com/invitations/abc"})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.msgs) != 1 || !strings.Contains(f.rcpt[0], "max@acme.test") {
		t.Fatalf("delivered %d messages to %v", len(f.msgs), f.rcpt)
	}
	body := f.msgs[0]
	for _, want := range []string{"Subject: Max, you are invited", "From: \"Roster\" <roster@example.com>", "invitations/abc"} {
		if !strings.Contains(body, want) {
			t.Errorf("message lacks %q:\n%s", want, body)
		}
	}
}

func TestSMTPRefusedConnectionIsAnError(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	_ = ln.Close()
	s, err := NewSMTP("smtp://"+addr+"?tls=off", "roster@example.com")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Send(ctx, Message{To: "a@b.test", Subject: "x", Text: "y"}); err == nil {
		t.Fatal("send to a closed port succeeded")
	}
}

func TestMailboxKeepsNewestFirst(t *testing.T) {
	b := NewMailbox()
	for i := 0; i < 3; i++ {
		_ = b.Send(context.Background(), Message{To: fmt.Sprintf("u%d@x.test", i)})
	}
	ms := b.Messages()
	if len(ms) != 3 || ms[0].To != "u2@x.test" || ms[2].To != "u0@x.test" {
		t.Fatalf("%+v", ms)
	}
}
