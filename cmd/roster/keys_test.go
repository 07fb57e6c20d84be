package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/bank"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/sandbox"
	"github.com/rosterhq/roster/internal/sandbox/sandboxtest"
	"github.com/rosterhq/roster/internal/secrets"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// TestCLIKeysRotate walks the documented rotation: secrets sealed by the real
// use cases under the old key, both keys set, `roster keys rotate`, then the
// new key alone. The HR client secret is sealed by `roster hr connect` and
// opened by `roster sync`; the bank details are read back by the
// bank use case, so the associated data of both is checked end to end.
func TestCLIKeysRotate(t *testing.T) {
	_, sbURL := sandboxtest.Start(t, sandbox.Options{Employees: 5, Seed: 3})
	oldKey, newKey := bytes.Repeat([]byte{0x0a}, 32), bytes.Repeat([]byte{0x0b}, 32)
	const iban, bic, holder = "DE89370400440532013000", "COBADEFFXXX", "Olga Owner"
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := t.Context()
			env := map[string]string{"ROSTER_DATA_DIR": t.TempDir(), "ROSTER_LOG_LEVEL": "debug", "ROSTER_SANDBOX": "off",
				"ROSTER_SECRET_KEY": hex.EncodeToString(oldKey)}
			if d == store.Postgres {
				env["ROSTER_DATABASE_URL"] = storetest.URL(t, d)
			}
			getenv := func(k string) string { return env[k] }
			var captured strings.Builder // everything the CLI printed (output and logs)
			cli := func(args ...string) (string, error) {
				t.Helper()
				out, errOut, err := runCLI(t, getenv, args...)
				captured.WriteString(out + errOut)
				if err != nil {
					captured.WriteString(err.Error())
				}
				return out, err
			}

			pw := filepath.Join(t.TempDir(), "pw")
			if err := os.WriteFile(pw, []byte("cli-password-123"), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := cli("org", "create", "--name", "Acme", "--timezone", "UTC", "--owner-email", "o@acme.test", "--owner-name", "O", "--owner-password-file", pw); err != nil {
				t.Fatal(err)
			}
			secretFile := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(secretFile, []byte(sandbox.FullClientSecret+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := cli("hr", "connect", "--org", "acme", "--base-url", sbURL, "--client-id", sandbox.FullClientID, "--client-secret-file", secretFile); err != nil {
				t.Fatalf("hr connect: %v\n%s", err, out)
			}

			st, err := store.Open(store.Options{DatabaseURL: env["ROSTER_DATABASE_URL"], SQLitePath: filepath.Join(env["ROSTER_DATA_DIR"], "roster.db")})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = st.Close() }()
			org, err := st.OrganizationBySlug(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			owner, err := st.UserByEmail(ctx, org.ID, "o@acme.test")
			if err != nil {
				t.Fatal(err)
			}
			// The owner's reimbursement details, stored before key ids existed.
			oldBox, _ := secrets.New(oldKey)
			plain, _ := json.Marshal(bank.Values{IBAN: iban, BIC: bic, Holder: holder})
			sealed, err := oldBox.Seal(string(plain), secrets.BankDetailAAD(org.ID, owner.ID))
			if err != nil {
				t.Fatal(err)
			}
			legacy := "v1:" + strings.TrimPrefix(sealed, "v1:"+secrets.SealedKeyID(sealed)+":")
			if err := st.SaveBankDetails(ctx, []store.BankDetail{{OrgID: org.ID, UserID: owner.ID, DataEnc: legacy, IBANMasked: "DE89 •••• 3000", Source: "personio"}}); err != nil {
				t.Fatal(err)
			}
			stored := func() (hr, bd string) {
				t.Helper()
				c, err := st.HRConnection(ctx, org.ID)
				if err != nil {
					t.Fatal(err)
				}
				b, err := st.BankDetail(ctx, org.ID, owner.ID)
				if err != nil {
					t.Fatal(err)
				}
				return c.ClientSecretEnc, b.DataEnc
			}
			hrBefore, bankBefore := stored()
			oldID, _ := secrets.KeyID(oldKey)
			newID, _ := secrets.KeyID(newKey)
			if secrets.SealedKeyID(hrBefore) != oldID {
				t.Fatalf("hr connect did not seal under the old key: key id %q", secrets.SealedKeyID(hrBefore))
			}

			// Rolling deploy: both keys set; the app still reads everything.
			env["ROSTER_SECRET_KEY"], env["ROSTER_SECRET_KEY_PREVIOUS"] = hex.EncodeToString(newKey), hex.EncodeToString(oldKey)
			syncs := func() error {
				t.Helper()
				out, err := cli("sync", "--org", "acme", "--mode", "full", "--area", "employees")
				if err == nil && !strings.Contains(out, `"succeeded"`) {
					t.Fatalf("sync did not succeed:\n%s", out)
				}
				return err
			}
			if err := syncs(); err != nil {
				t.Fatalf("sync with both keys: %v", err)
			}
			bankDetails := func(keys ...[]byte) *bank.Details {
				t.Helper()
				box, err := secrets.New(keys[0], keys[1:]...)
				if err != nil {
					t.Fatal(err)
				}
				det, err := bank.New(bank.Options{Store: st, Box: box}).ForUser(ctx, roster.Actor{OrgID: org.ID, Role: store.RoleAdmin, Name: "test"}, owner.ID)
				if err != nil || det == nil {
					t.Fatalf("bank details: %v", err)
				}
				return det
			}
			if det := bankDetails(newKey, oldKey); det.BIC != bic || det.Holder != holder {
				t.Fatalf("bank details with both keys: %+v", det)
			}

			out, err := cli("keys", "rotate", "--batch", "1")
			if err != nil {
				t.Fatalf("keys rotate: %v\n%s", err, out)
			}
			for _, want := range []string{
				fmt.Sprintf("under key %s (previous key %s)", newID, oldID),
				"HR client secrets: 1 re-sealed, 0 already under the new key",
				"Bank details: 1 re-sealed, 0 already under the new key",
			} {
				if !strings.Contains(out, want) {
					t.Fatalf("rotate output lacks %q:\n%s", want, out)
				}
			}
			hrAfter, bankAfter := stored()
			if hrAfter == hrBefore || bankAfter == bankBefore || secrets.SealedKeyID(hrAfter) != newID || secrets.SealedKeyID(bankAfter) != newID {
				t.Fatalf("stored values not re-sealed under the new key: %q %q", secrets.SealedKeyID(hrAfter), secrets.SealedKeyID(bankAfter))
			}
			if _, err := oldBox.Open(hrAfter, secrets.HRClientSecretAAD(org.ID)); err == nil {
				t.Fatal("the old key alone still opens the re-sealed HR client secret")
			}
			if _, err := oldBox.Open(bankAfter, secrets.BankDetailAAD(org.ID, owner.ID)); err == nil {
				t.Fatal("the old key alone still opens the re-sealed bank details")
			}

			// Idempotent.
			out, err = cli("keys", "rotate")
			if err != nil || !strings.Contains(out, "HR client secrets: 0 re-sealed, 1 already under the new key") ||
				!strings.Contains(out, "Bank details: 0 re-sealed, 1 already under the new key") {
				t.Fatalf("second rotate: %v\n%s", err, out)
			}
			if hr, bd := stored(); hr != hrAfter || bd != bankAfter {
				t.Fatal("second rotate changed stored values")
			}

			// ROSTER_SECRET_KEY_PREVIOUS removed: the new key alone reads everything.
			delete(env, "ROSTER_SECRET_KEY_PREVIOUS")
			if err := syncs(); err != nil {
				t.Fatalf("sync with the new key alone: %v", err)
			}
			if det := bankDetails(newKey); det.BIC != bic || det.Holder != holder || det.Warning != "" {
				t.Fatalf("bank details with the new key alone: %+v", det)
			}
			// The old key alone no longer opens them.
			env["ROSTER_SECRET_KEY"] = hex.EncodeToString(oldKey)
			if err := syncs(); err == nil || !strings.Contains(err.Error(), "cannot be decrypted") {
				t.Fatalf("the sync with the old key alone after the rotation: %v", err)
			}
			if det := bankDetails(oldKey); det.BIC != "" || det.Warning == "" {
				t.Fatalf("bank details opened with the old key alone: %+v", det)
			}

			// A value neither key opens: rotate fails naming the row, never the value.
			env["ROSTER_SECRET_KEY"], env["ROSTER_SECRET_KEY_PREVIOUS"] = hex.EncodeToString(newKey), hex.EncodeToString(oldKey)
			const garbage = "v1:garbage-" + iban
			if err := st.DB().Table("bank_details").Where("org_id = ? AND user_id = ?", org.ID, owner.ID).Update("data_enc", garbage).Error; err != nil {
				t.Fatal(err)
			}
			out, err = cli("keys", "rotate")
			row := fmt.Sprintf("bank detail of org %d, user %d", org.ID, owner.ID)
			if err == nil || !strings.Contains(err.Error(), row) || !strings.Contains(err.Error(), "neither ROSTER_SECRET_KEY nor ROSTER_SECRET_KEY_PREVIOUS") ||
				!strings.Contains(out, "Bank details: 0 re-sealed, 0 already under the new key, 1 FAILED") {
				t.Fatalf("rotate with a garbage value: %v\n%s", err, out)
			}
			if _, bd := stored(); bd != garbage {
				t.Fatal("rotate changed a value it could not open")
			}

			// Bad usage.
			if _, err := cli("keys", "rotate", "--batch", "0"); err == nil || !strings.Contains(err.Error(), "--batch") {
				t.Fatalf("--batch 0: %v", err)
			}
			if _, err := cli("keys", "spin"); err == nil || !strings.Contains(err.Error(), "roster keys rotate") {
				t.Fatalf("unknown keys command: %v", err)
			}

			// Nothing the CLI printed or logged shows a secret.
			for _, secret := range []string{sandbox.FullClientSecret, iban, bic, holder, hex.EncodeToString(oldKey), hex.EncodeToString(newKey)} {
				if strings.Contains(captured.String(), secret) {
					t.Fatalf("the CLI output or logs show %q", secret)
				}
			}
		})
	}
}

func TestHelpListsKeyRotation(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, func(string) string { return "" }, strings.NewReader(""), &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "roster keys rotate") || !strings.Contains(out.String(), "ROSTER_SECRET_KEY_PREVIOUS") {
		t.Fatalf("help does not document key rotation:\n%s", out.String())
	}
}
