package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDevGeneratesSecretKeyOnce(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(env(map[string]string{"ROSTER_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.SecretKeyGenerated || len(c.SecretKey) != 32 {
		t.Fatalf("key not generated: %v %d", c.SecretKeyGenerated, len(c.SecretKey))
	}
	fi, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", err, fi.Mode())
	}
	c2, err := Load(env(map[string]string{"ROSTER_DATA_DIR": dir}))
	if err != nil || c2.SecretKeyGenerated || string(c2.SecretKey) != string(c.SecretKey) {
		t.Fatal("second start did not reuse the key")
	}
	if !c.Sandbox || c.Env != EnvDev || c.SignupOpen || c.SQLitePath() != filepath.Join(dir, "roster.db") {
		t.Fatalf("dev defaults: %+v", c)
	}
}

func TestProdListsEveryMissingVariable(t *testing.T) {
	_, err := Load(env(map[string]string{"ROSTER_ENV": "prod", "ROSTER_DATA_DIR": t.TempDir()}))
	if err == nil {
		t.Fatal("prod without secrets started")
	}
	for _, v := range []string{"ROSTER_SECRET_KEY", "ROSTER_BASE_URL", "ROSTER_SMTP_URL"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s: %v", v, err)
		}
	}
}

func TestInvalidValuesReportedTogether(t *testing.T) {
	_, err := Load(env(map[string]string{"ROSTER_ENV": "staging", "ROSTER_SIGNUP": "maybe", "ROSTER_LOG_LEVEL": "loud",
		"ROSTER_SECRET_KEY": "short", "ROSTER_DATABASE_URL": "mysql://x", "ROSTER_DATA_DIR": t.TempDir()}))
	if err == nil {
		t.Fatal("accepted invalid config")
	}
	for _, want := range []string{"ROSTER_ENV", "ROSTER_SIGNUP", "ROSTER_LOG_LEVEL", "ROSTER_SECRET_KEY", "ROSTER_DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %s in %v", want, err)
		}
	}
}

func TestProdValid(t *testing.T) {
	c, err := Load(env(map[string]string{"ROSTER_ENV": "prod", "ROSTER_SECRET_KEY": strings.Repeat("ab", 32),
		"ROSTER_BASE_URL": "https://roster.example.com/", "ROSTER_SMTP_URL": "smtp://u:p@mail.example.com:587", "ROSTER_SIGNUP": "open"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Sandbox || !c.Secure() || !c.SignupOpen || c.BaseURL != "https://roster.example.com" {
		t.Fatalf("%+v", c)
	}
}

func TestPreviousSecretKey(t *testing.T) {
	const newKey, oldKey = "2222222222222222222222222222222222222222222222222222222222222222", "1111111111111111111111111111111111111111111111111111111111111111"
	c, err := Load(env(map[string]string{"ROSTER_DATA_DIR": t.TempDir(), "ROSTER_SECRET_KEY": newKey, "ROSTER_SECRET_KEY_PREVIOUS": oldKey}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SecretKeyPrevious) != 32 || c.SecretKeyPrevious[0] != 0x11 || c.SecretKey[0] != 0x22 {
		t.Fatalf("keys: %x %x", c.SecretKey, c.SecretKeyPrevious)
	}
	c, err = Load(env(map[string]string{"ROSTER_DATA_DIR": t.TempDir(), "ROSTER_SECRET_KEY": newKey}))
	if err != nil || c.SecretKeyPrevious != nil {
		t.Fatalf("no previous key: %v %x", err, c.SecretKeyPrevious)
	}
	for name, tc := range map[string]struct {
		vars map[string]string
		want string
	}{
		"malformed":  {map[string]string{"ROSTER_SECRET_KEY": newKey, "ROSTER_SECRET_KEY_PREVIOUS": "short"}, "ROSTER_SECRET_KEY_PREVIOUS: must be 32 bytes"},
		"no current": {map[string]string{"ROSTER_SECRET_KEY_PREVIOUS": oldKey}, "ROSTER_SECRET_KEY_PREVIOUS is set but ROSTER_SECRET_KEY is not"},
		"same key":   {map[string]string{"ROSTER_SECRET_KEY": newKey, "ROSTER_SECRET_KEY_PREVIOUS": newKey}, "equals ROSTER_SECRET_KEY"},
	} {
		tc.vars["ROSTER_DATA_DIR"] = t.TempDir()
		_, err := Load(env(tc.vars))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want %q, got %v", name, tc.want, err)
		}
		if err != nil && strings.Contains(err.Error(), oldKey) {
			t.Errorf("%s: the error shows the key", name)
		}
	}
}
