package sandbox_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"fmt"

	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
)

func TestSmoke(t *testing.T) {
	opts := sandbox.DefaultOptions()
	opts.Now = func() time.Time { return time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC) }
	t0 := time.Now()
	_, base := sandboxtest.Start(t, opts)
	fmt.Println("start", time.Since(t0))
	resp, err := http.Post(base+"/v1/auth", "application/json", strings.NewReader(`{"client_id":"sandbox-client-id","client_secret":"sandbox-client-secret"}`))
	if err != nil { t.Fatal(err) }
	b, _ := io.ReadAll(resp.Body)
	tok := strings.Split(strings.Split(string(b), `"token":"`)[1], `"`)[0]
	for _, p := range []string{"/v1/company/employees?limit=2", "/v1/company/employees/1001", "/v1/company/employees/attributes", "/v1/company/time-off-types", "/v1/company/time-offs?limit=2", "/v1/company/employees/99", "/v2/attendance-periods?limit=2", "/v1/company/employees/1002/profile-picture/64"} {
		req, _ := http.NewRequest("GET", base+p, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil { t.Fatal(err) }
		b, _ := io.ReadAll(resp.Body)
		if len(b) > 3000 { b = b[:3000] }
		fmt.Println(p, resp.StatusCode, resp.Header.Get("Authorization") != "", string(b))
	}
}
