package sandbox

import "strings"

// Name pools for the demo company. Functions return fresh slices so nothing
// here is mutable package state.

type givenName struct {
	name   string
	gender string // male | female | diverse
}

func givenNames() []givenName {
	return []givenName{
		{"Jürgen", "male"}, {"Zoë", "female"}, {"Anna", "female"}, {"Lukas", "male"},
		{"Sophie", "female"}, {"Maximilian", "male"}, {"Léa", "female"}, {"Jörg", "male"},
		{"Mia", "female"}, {"Paul", "male"}, {"Emilia", "female"}, {"Jonas", "male"},
		{"Hannah", "female"}, {"Felix", "male"}, {"Chloé", "female"}, {"Björn", "male"},
		{"Lena", "female"}, {"Tobias", "male"}, {"Margarete", "female"}, {"Ömer", "male"},
		{"Ayşe", "female"}, {"Mehmet", "male"}, {"Zeynep", "female"}, {"Elif", "female"},
		{"François", "male"}, {"Amélie", "female"}, {"Hélène", "female"}, {"Sébastien", "male"},
		{"José", "male"}, {"María", "female"}, {"Sofía", "female"}, {"Iñigo", "male"},
		{"Łukasz", "male"}, {"Agnieszka", "female"}, {"Małgorzata", "female"}, {"Paweł", "male"},
		{"Søren", "male"}, {"Åsa", "female"}, {"Ingrid", "female"}, {"Mikael", "male"},
		{"Giulia", "female"}, {"Niccolò", "male"}, {"Francesca", "female"}, {"Matteo", "male"},
		{"Emma", "female"}, {"Noah", "male"}, {"Olivia", "female"}, {"Liam", "male"},
		{"Charlotte", "female"}, {"Ben", "male"}, {"Ida", "female"}, {"Finn", "male"},
		{"Kim", "diverse"}, {"Alex", "diverse"}, {"Jule", "female"}, {"Ole", "male"},
		{"Dorothée", "female"}, {"Renée", "female"}, {"André", "male"}, {"Jiří", "male"},
		{"Tereza", "female"}, {"Dóra", "female"}, {"Zoltán", "male"}, {"Priya", "female"},
		{"Arjun", "male"}, {"Mei", "female"}, {"Hiroshi", "male"}, {"Yasmin", "female"},
		{"Karim", "male"}, {"Nadia", "female"}, {"Oksana", "female"}, {"Dmytro", "male"},
	}
}

func familyNames() []string {
	return []string{
		"Müller", "Lefèvre", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
		"Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein",
		"Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
		"Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier", "Lehmann",
		"Köhler", "Große", "Jäger", "Günther", "Weiß", "Groß", "Dubois", "Lefebvre",
		"Girard", "Bonnet", "Fontaine", "Rousseau", "Moreau", "Laurent", "García", "Fernández",
		"López", "Martínez", "Sánchez", "Pérez", "Núñez", "Yılmaz", "Kaya", "Demir",
		"Şahin", "Çelik", "Öztürk", "Kowalski", "Wiśniewski", "Wójcik", "Nowak", "Dąbrowski",
		"Lindqvist", "Sørensen", "Åkesson", "Nyström", "Rossi", "Bianchi", "Ferrari", "Esposito",
		"Novák", "Dvořák", "Horváth", "Nagy", "Kovačević", "Petrović", "Smith", "O'Connor",
		"van der Berg", "de Vries", "Patel", "Nguyen", "Tanaka", "Kim", "Haddad", "Schulze-Bräuer",
	}
}

// transliterate turns a name into an ASCII email local part:
// "Jürgen" → "juergen", "Zoë" → "zoe", "van der Berg" → "vanderberg".
func transliterate(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == ' ' || r == '\'':
		default:
			switch r {
			case 'ä':
				b.WriteString("ae")
			case 'ö':
				b.WriteString("oe")
			case 'ü':
				b.WriteString("ue")
			case 'ß':
				b.WriteString("ss")
			case 'å':
				b.WriteString("aa")
			case 'ø':
				b.WriteString("oe")
			case 'æ':
				b.WriteString("ae")
			case 'á', 'à', 'â', 'ą', 'ã':
				b.WriteByte('a')
			case 'é', 'è', 'ê', 'ë', 'ę', 'ě':
				b.WriteByte('e')
			case 'í', 'ì', 'î', 'ï', 'ı':
				b.WriteByte('i')
			case 'ó', 'ò', 'ô', 'õ':
				b.WriteByte('o')
			case 'ú', 'ù', 'û':
				b.WriteByte('u')
			case 'ç', 'ć', 'č':
				b.WriteByte('c')
			case 'ñ', 'ń':
				b.WriteByte('n')
			case 'ł':
				b.WriteByte('l')
			case 'ś', 'ş', 'š':
				b.WriteByte('s')
			case 'ğ':
				b.WriteByte('g')
			case 'ž', 'ź', 'ż':
				b.WriteByte('z')
			case 'ř':
				b.WriteByte('r')
			case 'ý':
				b.WriteByte('y')
			}
		}
	}
	return b.String()
}

type departmentSpec struct {
	name      string
	chief     string   // position of the department's head (level 1)
	roles     []string // individual contributor positions
	teamNames []string
}

func departmentSpecs() []departmentSpec {
	return []departmentSpec{
		{"Engineering", "CTO", []string{"Software Engineer", "Senior Software Engineer", "Site Reliability Engineer", "QA Engineer", "Data Engineer"},
			[]string{"Platform", "Payments", "Mobile", "Integrations", "Infrastructure", "Data"}},
		{"Product", "Chief Product Officer", []string{"Product Manager", "Product Designer", "UX Researcher"},
			[]string{"Discovery", "Design System", "Growth"}},
		{"Sales", "Chief Revenue Officer", []string{"Account Executive", "Sales Development Representative", "Solutions Engineer"},
			[]string{"DACH Sales", "France Sales", "Enterprise", "Inside Sales"}},
		{"Marketing", "CMO", []string{"Content Marketing Manager", "Performance Marketing Manager", "Brand Designer"},
			[]string{"Brand", "Demand Generation"}},
		{"Customer Support", "VP Customer Experience", []string{"Customer Support Agent", "Support Specialist", "Customer Success Manager"},
			[]string{"Support Tier 1", "Support Tier 2", "Customer Success"}},
		{"Finance", "CFO", []string{"Accountant", "Financial Controller", "Payroll Specialist"},
			[]string{"Accounting", "Controlling"}},
		{"People & Culture", "Chief People Officer", []string{"HR Business Partner", "Recruiter", "People Operations Specialist"},
			[]string{"Talent Acquisition", "People Operations"}},
		{"Operations", "COO", []string{"Office Manager", "IT Administrator", "Legal Counsel"},
			[]string{"Workplace", "IT", "Legal"}},
	}
}

func officeSpecs() []officeInfo {
	return []officeInfo{
		{orgUnit{131014, "Munich"}, "DE", "Bayern", "Deutschland (Bayern) Feiertage", 2, "DE"},
		{orgUnit{131015, "Berlin"}, "DE", "Berlin", "Deutschland (Berlin) Feiertage", 3, "DE"},
		{orgUnit{131016, "Hamburg"}, "DE", "Hamburg", "Deutschland (Hamburg) Feiertage", 4, "DE"},
		{orgUnit{131017, "Vienna"}, "AT", "Wien", "Österreich Feiertage", 5, "AT"},
		{orgUnit{131018, "Paris"}, "FR", "Île-de-France", "France Jours fériés", 6, "FR"},
		{orgUnit{131019, "Remote"}, "DE", "Nordrhein-Westfalen", "Deutschland (Nordrhein-Westfalen) Feiertage", 7, "DE"},
	}
}

type bank struct {
	code, bic string
}

// Real bank codes with their BICs, so generated IBAN/BIC pairs look right.
func banksFor(country string) []bank {
	switch country {
	case "AT":
		return []bank{{"12000", "BKAUATWWXXX"}, {"20111", "GIBAATWWXXX"}, {"32000", "RLNWATWWXXX"}}
	case "FR":
		return []bank{{"3000400001", "BNPAFRPPXXX"}, {"3000300001", "SOGEFRPPXXX"}, {"1010700001", "BREDFRPPXXX"}}
	default:
		return []bank{
			{"10070000", "DEUTDEBBXXX"}, {"20040000", "COBADEHHXXX"}, {"70150000", "SSKMDEMMXXX"},
			{"50010517", "INGDDEFFXXX"}, {"12030000", "BYLADEM1001"}, {"43060967", "GENODEM1GLS"},
			{"10010010", "PBNKDEFFXXX"}, {"76026000", "HYVEDEMM460"},
		}
	}
}
