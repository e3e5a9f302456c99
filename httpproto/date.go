package httpproto

// HTTP dates (RFC 9110 section 5.6.7) from and to Unix seconds. The codec
// does not import package time (it is pure); callers convert with
// time.Unix and Time.Unix. The server glue caches the formatted Date value
// once per second.

var (
	imfDayNames   = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	imfMonthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// AppendHTTPDate appends the IMF-fixdate form of a Unix time, e.g.
// "Sun, 06 Nov 1994 08:49:37 GMT", the only form a sender may generate.
// Times before 1970 or after 9999 are clamped to those years' bounds.
func AppendHTTPDate(dst []byte, unix int64) []byte {
	const maxUnix = 253402300799 // 9999-12-31 23:59:59
	if unix < 0 {
		unix = 0
	} else if unix > maxUnix {
		unix = maxUnix
	}
	days := unix / 86400
	secs := unix % 86400
	y, m, d := dateCivilFromDays(days)
	wd := (days + 4) % 7 // 1970-01-01 was a Thursday
	dst = append(dst, imfDayNames[wd]...)
	dst = append(dst, ',', ' ', byte('0'+d/10), byte('0'+d%10), ' ')
	dst = append(dst, imfMonthNames[m-1]...)
	dst = append(dst, ' ', byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), ' ')
	h, mi, s := secs/3600, secs/60%60, secs%60
	dst = append(dst, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':',
		byte('0'+s/10), byte('0'+s%10))
	return append(dst, " GMT"...)
}

// dateCivilFromDays converts days since 1970-01-01 to a proleptic Gregorian
// date (the "days from civil" inverse over 400-year eras).
func dateCivilFromDays(z int64) (year int64, month, day int64) {
	z += 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// dateDaysFromCivil converts a proleptic Gregorian date to days since
// 1970-01-01.
func dateDaysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// ParseHTTPDate parses an HTTP date in any of the three forms a recipient
// must accept (RFC 9110 section 5.6.7): IMF-fixdate ("Sun, 06 Nov 1994
// 08:49:37 GMT"), the obsolete RFC 850 form ("Sunday, 06-Nov-94 08:49:37
// GMT", two-digit years read as within 50 years of 2000 per section
// 5.6.7's rule applied to 1950-2049) and asctime ("Sun Nov  6 08:49:37
// 1994"). It returns Unix seconds and whether b was a valid date.
func ParseHTTPDate(b []byte) (int64, bool) {
	if i := dateIndexByte(b, ','); i >= 0 {
		name, rest := b[:i], b[i+1:]
		if len(name) == 3 {
			return parseIMFFixdate(rest)
		}
		return parseRFC850(rest)
	}
	return parseAsctime(b)
}

func dateIndexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// " 06 Nov 1994 08:49:37 GMT"
func parseIMFFixdate(b []byte) (int64, bool) {
	if len(b) != 25 || b[0] != ' ' || b[3] != ' ' || b[7] != ' ' || b[12] != ' ' || string(b[21:]) != " GMT" {
		return 0, false
	}
	d, ok1 := parseDecimal(b[1:3])
	m, ok2 := dateMonth(b[4:7])
	y, ok3 := parseDecimal(b[8:12])
	t, ok4 := dateClock(b[13:21])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, false
	}
	return dateAssemble(y, m, d, t)
}

// " 06-Nov-94 08:49:37 GMT"
func parseRFC850(b []byte) (int64, bool) {
	if len(b) != 23 || b[0] != ' ' || b[3] != '-' || b[7] != '-' || b[10] != ' ' || string(b[19:]) != " GMT" {
		return 0, false
	}
	d, ok1 := parseDecimal(b[1:3])
	m, ok2 := dateMonth(b[4:7])
	y, ok3 := parseDecimal(b[8:10])
	t, ok4 := dateClock(b[11:19])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, false
	}
	if y < 50 {
		y += 2000
	} else {
		y += 1900
	}
	return dateAssemble(y, m, d, t)
}

// "Sun Nov  6 08:49:37 1994"
func parseAsctime(b []byte) (int64, bool) {
	if len(b) != 24 || b[3] != ' ' || b[7] != ' ' || b[10] != ' ' || b[19] != ' ' {
		return 0, false
	}
	m, ok1 := dateMonth(b[4:7])
	dd := b[8:10]
	if dd[0] == ' ' {
		dd = dd[1:]
	}
	d, ok2 := parseDecimal(dd)
	t, ok3 := dateClock(b[11:19])
	y, ok4 := parseDecimal(b[20:24])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, false
	}
	return dateAssemble(y, m, d, t)
}

func dateAssemble(y, m, d, t int64) (int64, bool) {
	if d < 1 || d > 31 || y < 1970 {
		return 0, false
	}
	days := dateDaysFromCivil(y, m, d)
	// Reject dates such as 31 Feb that roll over into the next month.
	if cy, cm, cd := dateCivilFromDays(days); cy != y || cm != m || cd != d {
		return 0, false
	}
	return days*86400 + t, true
}

func dateMonth(b []byte) (int64, bool) {
	for i, name := range imfMonthNames {
		if string(b) == name {
			return int64(i + 1), true
		}
	}
	return 0, false
}

// "08:49:37" → seconds into the day.
func dateClock(b []byte) (int64, bool) {
	if len(b) != 8 || b[2] != ':' || b[5] != ':' {
		return 0, false
	}
	h, ok1 := parseDecimal(b[0:2])
	m, ok2 := parseDecimal(b[3:5])
	s, ok3 := parseDecimal(b[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || s > 60 {
		return 0, false
	}
	return h*3600 + m*60 + s, true
}
