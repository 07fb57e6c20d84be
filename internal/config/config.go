// Package config loads Roster's configuration from ROSTER_* environment variables.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Env is the deployment environment.
type Env string

// Environments.
const (
	EnvDev  Env = "dev"
	EnvProd Env = "prod"
)

// Config is the validated configuration of one Roster process.
type Config struct {
	Env         Env
	Addr        string
	BaseURL     string
	DatabaseURL string // empty: SQLite under DataDir
	DataDir     string
	SecretKey   []byte // 32 bytes
	// SecretKeyPrevious is the key being rotated away from (nil when unset):
	// values sealed and sessions signed under it still open.
	SecretKeyPrevious []byte
	// SecretKeyGenerated is true when the key was generated into DataDir on this start.
	SecretKeyGenerated bool
	SMTPURL            string
	MailFrom           string
	SignupOpen         bool
	LogLevel           slog.Level
	Sandbox            bool
	SandboxAddr        string
}

// Var documents one environment variable (used by the README check and `roster help`).
type Var struct {
	Name, Default, Help string
}

// Vars lists every ROSTER_* variable Roster reads.
var Vars = []Var{
	{"ROSTER_ENV", "dev", "dev or prod. prod requires ROSTER_SECRET_KEY, ROSTER_BASE_URL and ROSTER_SMTP_URL."},
	{"ROSTER_ADDR", ":8080", "Address the HTTP server listens on."},
	{"ROSTER_BASE_URL", "http://localhost:8080", "Public URL of Roster, used in emails and links."},
	{"ROSTER_DATABASE_URL", "", "postgres://… for PostgreSQL; empty uses an embedded SQLite file in ROSTER_DATA_DIR."},
	{"ROSTER_DATA_DIR", "./data", "Folder for the SQLite database and the generated dev secret key."},
	{"ROSTER_SECRET_KEY", "", "32 bytes, hex or base64: signs sessions and encrypts secrets at rest. Generated into the data dir in dev."},
	{"ROSTER_SECRET_KEY_PREVIOUS", "", "Only while rotating the secret key: the old ROSTER_SECRET_KEY. Values sealed and sessions signed under it keep working; run `roster keys rotate`, then remove it."},
	{"ROSTER_SMTP_URL", "", "smtp://user:pass@host:587 (or smtps://). Empty in dev: mails go to /dev/mailbox."},
	{"ROSTER_MAIL_FROM", "Roster <roster@localhost>", "Sender address of outgoing mail."},
	{"ROSTER_SIGNUP", "closed", "open lets new organisations sign up at /signup; closed allows only the first-run setup."},
	{"ROSTER_LOG_LEVEL", "info", "debug, info, warn or error."},
	{"ROSTER_SANDBOX", "on in dev, off in prod", "on starts the bundled Personio sandbox in-process."},
	{"ROSTER_SANDBOX_ADDR", "127.0.0.1:8090", "Address of the in-process Personio sandbox."},
}

// Load reads and validates the configuration. Every problem is reported together.
// In dev a missing secret key is generated once into the data dir (0600) and
// SecretKeyGenerated is set so the caller can warn about it.
func Load(getenv func(string) string) (*Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	c := &Config{
		Addr:        get("ROSTER_ADDR", ":8080"),
		DatabaseURL: get("ROSTER_DATABASE_URL", ""),
		DataDir:     get("ROSTER_DATA_DIR", "./data"),
		SMTPURL:     get("ROSTER_SMTP_URL", ""),
		MailFrom:    get("ROSTER_MAIL_FROM", "Roster <roster@localhost>"),
		SandboxAddr: get("ROSTER_SANDBOX_ADDR", "127.0.0.1:8090"),
	}
	switch e := Env(strings.ToLower(get("ROSTER_ENV", "dev"))); e {
	case EnvDev, EnvProd:
		c.Env = e
	default:
		errs = append(errs, fmt.Errorf("ROSTER_ENV must be dev or prod, got %q", e))
		c.Env = EnvDev
	}
	prod := c.Env == EnvProd

	var missing []string
	c.BaseURL = strings.TrimRight(get("ROSTER_BASE_URL", ""), "/")
	if c.BaseURL == "" {
		if prod {
			missing = append(missing, "ROSTER_BASE_URL")
		}
		c.BaseURL = "http://localhost" + portOf(c.Addr)
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("ROSTER_BASE_URL must be an http(s) URL, got %q", c.BaseURL))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("ROSTER_DATABASE_URL must start with postgres:// (leave it empty for SQLite)"))
	}
	if c.SMTPURL == "" && prod {
		missing = append(missing, "ROSTER_SMTP_URL")
	} else if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			errs = append(errs, errors.New("ROSTER_SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465"))
		}
	}
	switch s := strings.ToLower(get("ROSTER_SIGNUP", "closed")); s {
	case "open":
		c.SignupOpen = true
	case "closed":
	default:
		errs = append(errs, fmt.Errorf("ROSTER_SIGNUP must be open or closed, got %q", s))
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("ROSTER_LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("ROSTER_LOG_LEVEL must be debug, info, warn or error"))
	}
	defSandbox := "on"
	if prod {
		defSandbox = "off"
	}
	switch s := strings.ToLower(get("ROSTER_SANDBOX", defSandbox)); s {
	case "on", "true", "1":
		c.Sandbox = true
	case "off", "false", "0":
	default:
		errs = append(errs, fmt.Errorf("ROSTER_SANDBOX must be on or off, got %q", s))
	}

	if raw := get("ROSTER_SECRET_KEY", ""); raw != "" {
		k, err := ParseKey(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("ROSTER_SECRET_KEY: %w", err))
		}
		c.SecretKey = k
	} else if prod {
		missing = append(missing, "ROSTER_SECRET_KEY")
	}
	if raw := get("ROSTER_SECRET_KEY_PREVIOUS", ""); raw != "" {
		k, err := ParseKey(raw)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("ROSTER_SECRET_KEY_PREVIOUS: %w", err))
		case get("ROSTER_SECRET_KEY", "") == "":
			errs = append(errs, errors.New("ROSTER_SECRET_KEY_PREVIOUS is set but ROSTER_SECRET_KEY is not: set ROSTER_SECRET_KEY to the new key"))
		case c.SecretKey != nil && string(k) == string(c.SecretKey):
			errs = append(errs, errors.New("ROSTER_SECRET_KEY_PREVIOUS equals ROSTER_SECRET_KEY: set ROSTER_SECRET_KEY to the new key and ROSTER_SECRET_KEY_PREVIOUS to the old one"))
		default:
			c.SecretKeyPrevious = k
		}
	}
	if len(missing) > 0 {
		errs = append([]error{fmt.Errorf("missing required variables for ROSTER_ENV=prod: %s", strings.Join(missing, ", "))}, errs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if c.SecretKey == nil {
		k, generated, err := devKey(c.DataDir)
		if err != nil {
			return nil, err
		}
		c.SecretKey, c.SecretKeyGenerated = k, generated
	}
	return c, nil
}

// ParseKey decodes a 32-byte key given as hex or base64.
func ParseKey(raw string) ([]byte, error) {
	raw = strings.TrimSpace(raw)
	if b, err := hex.DecodeString(raw); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(raw); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("must be 32 bytes, hex (64 characters) or base64 encoded; generate one with `openssl rand -hex 32`")
}

// devKey reads or creates data/secret.key.
func devKey(dir string) ([]byte, bool, error) {
	path := filepath.Join(dir, "secret.key")
	if b, err := os.ReadFile(path); err == nil { //nolint:gosec // G304: the key file in the configured data dir
		k, err := ParseKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create data dir: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, false, fmt.Errorf("write dev secret key: %w", err)
	}
	return k, true, nil
}

func portOf(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i:]
	}
	return ":8080"
}

// SQLitePath is the SQLite database file used when DatabaseURL is empty.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "roster.db") }

// Secure reports whether cookies must carry the Secure flag.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }
