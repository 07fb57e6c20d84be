package web_test

func init() {
	for _, k := range []string{"GET /org", "GET /org/search", "GET /org/:id/reports", "GET /people/:id", "GET /people/:id/picture"} {
		routeRoles[k] = []string{"member", "manager"}
	}
}
