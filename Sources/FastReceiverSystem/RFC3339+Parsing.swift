extension RFC3339 {
    /// The instant an RFC 3339 date-time names, in microseconds since 1970-01-01T00:00:00Z, read
    /// as PostgreSQL's `timestamptz` reads it, so that a value computed here and one PostgreSQL
    /// parses from the same text agree.
    ///
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`: `T` may also be `t` or a space, `Z` also `z`.
    /// A fraction of any length is rounded to the microsecond the way PostgreSQL rounds it (the
    /// fraction read as a `Double`, times 10⁶, rounded half to even), so DT's nanosecond
    /// timestamps land where PostgreSQL would put them. A leap second (`:60`) is the first
    /// instant of the next minute, as in PostgreSQL.
    ///
    /// - Parameter text: the date-time's bytes (at most 64; anything longer is not one).
    /// - Returns: nil when `text` is not such a date-time or names a day that does not exist.
    public static func unixMicroseconds(_ text: UnsafeRawBufferPointer) -> Int64? {
        guard text.count >= 20, text.count <= 64 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in start..<start + count {
                let digit = Int(text[index]) - 48
                guard digit >= 0, digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        func byte(_ index: Int, is expected: Character) -> Bool { text[index] == expected.asciiValue }
        guard let year = number(0, 4), byte(4, is: "-"), let month = number(5, 2), byte(7, is: "-"), let day = number(8, 2),
              byte(10, is: "T") || byte(10, is: "t") || byte(10, is: " "),
              let hour = number(11, 2), byte(13, is: ":"), let minute = number(14, 2), byte(16, is: ":"), let second = number(17, 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var index = 19
        var fractionMicroseconds: Int64 = 0
        if byte(index, is: ".") {
            let start = index
            index += 1
            while index < text.count, (48...57).contains(text[index]) { index += 1 }
            guard index > start + 1 else { return nil }
            let digits = String(decoding: UnsafeRawBufferPointer(rebasing: text[start..<index]), as: UTF8.self)
            guard let fraction = Double("0" + digits) else { return nil }
            fractionMicroseconds = Int64((fraction * 1_000_000).rounded(.toNearestOrEven))
        }
        guard index < text.count else { return nil }
        var offsetSeconds = 0
        if byte(index, is: "Z") || byte(index, is: "z") {
            index += 1
        } else {
            guard byte(index, is: "+") || byte(index, is: "-"), index + 6 == text.count,
                  let offsetHour = number(index + 1, 2), byte(index + 3, is: ":"), let offsetMinute = number(index + 4, 2),
                  offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetSeconds = (offsetHour * 3600 + offsetMinute * 60) * (byte(index, is: "-") ? -1 : 1)
            index += 6
        }
        guard index == text.count else { return nil }
        let days = Int64(daysSinceEpoch(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return seconds * 1_000_000 + fractionMicroseconds
    }

    /// Days in `month` (1–12) of `year`, in the proleptic Gregorian calendar.
    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
    /// `days_from_civil`).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
