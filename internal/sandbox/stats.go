package sandbox

import (
	"maps"
	"strconv"
	"sync"
)

// Stats counts requests per route ("GET /v1/company/employees") and status.
type Stats struct {
	Total       int                      `json:"total"`
	RateLimited int                      `json:"rate_limited"` // 429 responses, injected or not
	Endpoints   map[string]EndpointStats `json:"endpoints"`
}

// EndpointStats counts one route's requests by status code ("200", "429").
type EndpointStats struct {
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
}

type statsRecorder struct {
	mu     sync.Mutex
	counts map[string]map[int]int
}

func newStatsRecorder() *statsRecorder {
	return &statsRecorder{counts: map[string]map[int]int{}}
}

func (sr *statsRecorder) record(route string, status int) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	m := sr.counts[route]
	if m == nil {
		m = map[int]int{}
		sr.counts[route] = m
	}
	m[status]++
}

// Stats returns a snapshot of the request counters.
func (s *Server) Stats() Stats {
	sr := s.stats
	sr.mu.Lock()
	defer sr.mu.Unlock()
	out := Stats{Endpoints: make(map[string]EndpointStats, len(sr.counts))}
	for route, m := range sr.counts {
		es := EndpointStats{ByStatus: make(map[string]int, len(m))}
		for status, n := range maps.All(m) {
			es.ByStatus[strconv.Itoa(status)] = n
			es.Total += n
			if status == 429 {
				out.RateLimited += n
			}
		}
		out.Total += es.Total
		out.Endpoints[route] = es
	}
	return out
}

// ResetStats zeroes the request counters.
func (s *Server) ResetStats() {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	clear(s.stats.counts)
}
