package orgchart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/rosterhq/roster/internal/hris"
	"github.com/rosterhq/roster/internal/roster"
	"github.com/rosterhq/roster/internal/store"
)

// Picture limits.
const (
	MaxPictureBytes = 2 << 20
	PictureTimeout  = 10 * time.Second
	// PictureTTL is how long a cached picture (or the HR system's "no
	// picture") is kept before it is asked again.
	PictureTTL   = 24 * time.Hour
	pictureWidth = 200
)

// pictureTypes are the image types served; anything else (SVG, which can
// carry scripts, or a page that is not an image) is refused.
var pictureTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// errNoPicture: the source answered, and there is no usable picture.
var errNoPicture = errors.New("no usable picture")

type fetchCall struct {
	done chan struct{}
	pic  *store.UserPicture
	err  error
}

// Picture returns user id's profile picture from the cache, fetching it
// once (at most every PictureTTL) from the HR system when it is missing or
// stale. No picture, a failed fetch or another organisation's user is
// ErrNotFound; a stale picture is kept when a refresh fails.
func (s *Service) Picture(ctx context.Context, a roster.Actor, id int64) (*store.UserPicture, error) {
	u, err := s.store.User(ctx, a.OrgID, id)
	if err != nil {
		return nil, err
	}
	if u.PictureURL == "" {
		return nil, roster.ErrNotFound
	}
	cached, err := s.store.UserPicture(ctx, a.OrgID, id)
	switch {
	case errors.Is(err, roster.ErrNotFound):
		cached = nil
	case err != nil:
		return nil, err
	case s.now().Sub(cached.FetchedAt) < PictureTTL:
		if len(cached.Data) == 0 {
			return nil, roster.ErrNotFound
		}
		return cached, nil
	}
	pic, err := s.fetchOnce(ctx, u)
	if err != nil {
		if cached != nil && len(cached.Data) > 0 {
			return cached, nil
		}
		return nil, roster.ErrNotFound
	}
	if len(pic.Data) == 0 {
		return nil, roster.ErrNotFound
	}
	return pic, nil
}

// fetchOnce fetches and stores a user's picture; concurrent requests for
// the same user share one fetch.
func (s *Service) fetchOnce(ctx context.Context, u *store.User) (*store.UserPicture, error) {
	key := [2]int64{u.OrgID, u.ID}
	s.mu.Lock()
	if c, ok := s.inflight[key]; ok {
		s.mu.Unlock()
		select {
		case <-c.done:
			return c.pic, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &fetchCall{done: make(chan struct{})}
	s.inflight[key] = c
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.inflight, key)
		s.mu.Unlock()
		close(c.done)
	}()
	// The fetch outlives a cancelled request so that the cache is filled.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), PictureTimeout)
	defer cancel()
	pic := &store.UserPicture{OrgID: u.OrgID, UserID: u.ID, FetchedAt: s.now()}
	ct, data, err := s.fetch(fctx, u)
	switch {
	case err == nil:
		pic.ContentType, pic.Data = ct, data
	case errors.Is(err, errNoPicture):
		// Remembered as "no picture" until PictureTTL passes.
		s.log.InfoContext(ctx, "no profile picture", "org_id", u.OrgID, "user_id", u.ID, "reason", err.Error())
	default:
		// Transient (network, HR system down): not cached, tried again next time.
		s.log.WarnContext(ctx, "profile picture fetch failed", "org_id", u.OrgID, "user_id", u.ID, "err", err)
		c.err = err
		return nil, err
	}
	if err := s.store.SaveUserPicture(fctx, pic); err != nil {
		c.err = err
		return nil, err
	}
	c.pic = pic
	return pic, nil
}

// fetch gets the picture through the HR client when the user is linked and
// the organisation connected (the picture URL is an authenticated API URL),
// else with a plain GET of the picture URL.
func (s *Service) fetch(ctx context.Context, u *store.User) (string, []byte, error) {
	if u.PersonioID != nil && s.pictures != nil {
		if src, err := s.pictures(ctx, u.OrgID); err == nil {
			p, err := src.ProfilePicture(ctx, *u.PersonioID, pictureWidth)
			if errors.Is(err, hris.ErrNotFound) {
				return "", nil, fmt.Errorf("%w: the HR system has none", errNoPicture)
			}
			if err != nil {
				return "", nil, fmt.Errorf("fetch picture from the HR system: %w", err)
			}
			return check(p.ContentType, p.Data)
		}
	}
	return s.fetchURL(ctx, u.PictureURL)
}

func (s *Service) fetchURL(ctx context.Context, raw string) (string, []byte, error) {
	pu, err := url.Parse(raw)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return "", nil, fmt.Errorf("%w: the picture URL is not an http(s) URL", errNoPicture)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pu.String(), nil)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", errNoPicture, err)
	}
	req.Header.Set("Accept", "image/png, image/jpeg, image/gif, image/webp")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("fetch picture: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return "", nil, fmt.Errorf("fetch picture: HTTP %d", resp.StatusCode)
	default:
		return "", nil, fmt.Errorf("%w: HTTP %d", errNoPicture, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxPictureBytes+1))
	if err != nil {
		return "", nil, fmt.Errorf("read picture: %w", err)
	}
	return check(resp.Header.Get("Content-Type"), data)
}

// check accepts a non-empty PNG, JPEG, GIF or WebP image of at most
// MaxPictureBytes.
func check(contentType string, data []byte) (string, []byte, error) {
	if len(data) == 0 {
		return "", nil, fmt.Errorf("%w: empty", errNoPicture)
	}
	if len(data) > MaxPictureBytes {
		return "", nil, fmt.Errorf("%w: larger than %d bytes", errNoPicture, MaxPictureBytes)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || !pictureTypes[mt] {
		return "", nil, fmt.Errorf("%w: content type %q", errNoPicture, contentType)
	}
	if sniffed := http.DetectContentType(data); sniffed != mt {
		return "", nil, fmt.Errorf("%w: declared %s but the data is %s", errNoPicture, mt, sniffed)
	}
	return mt, data, nil
}
