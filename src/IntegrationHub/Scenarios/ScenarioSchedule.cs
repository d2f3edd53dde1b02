using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Cronos;
using TimeZoneConverter;

namespace IntegrationHub.Scenarios;

/// <summary>
/// A scenario's schedule: its cron expression and the time zone its times are read in (UTC when none is given). The
/// rules for both live here alone: a save checks them, the Edit page's preview shows what they make of the text, and
/// the scheduler runs by them, so a schedule the save accepts is always one the scheduler can read.
/// </summary>
internal sealed record ScenarioSchedule(CronExpression Expression, TimeZoneInfo Zone)
{
    /// <summary>
    /// Parses <paramref name="cron"/> in <paramref name="timeZone"/> (UTC when null or blank); false with the reason, the
    /// expression's before the zone's, in <paramref name="error"/>.
    /// </summary>
    public static bool TryParse(string cron, string? timeZone, [NotNullWhen(true)] out ScenarioSchedule? schedule, out string error)
    {
        schedule = null;
        if (!TryParseCron(cron, out var expression, out error) || !TryFindTimeZone(timeZone, out var zone, out error))
        {
            return false;
        }
        schedule = new ScenarioSchedule(expression, zone);
        return true;
    }

    /// <summary>The first occurrence after <paramref name="from"/>, or null when there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset from) => Expression.GetNextOccurrence(from, Zone);

    /// <summary>The occurrences from <paramref name="from"/> to <paramref name="to"/>, both included.</summary>
    public IEnumerable<DateTimeOffset> Occurrences(DateTimeOffset from, DateTimeOffset to) =>
        Expression.GetOccurrences(from, to, Zone, fromInclusive: true, toInclusive: true);

    /// <summary>
    /// Parses five fields, or six with seconds, apart by any white space; Cronos tells five from six only by the format
    /// flag. A macro (<c>@daily</c>) is left to Cronos.
    /// </summary>
    public static bool TryParseCron(string cron, [NotNullWhen(true)] out CronExpression? expression, out string error)
    {
        expression = null;
        var fields = Fields(cron).Length;
        if (fields is not (5 or 6) && !cron.TrimStart().StartsWith('@'))
        {
            error = $"A cron expression has 5 fields, or 6 with seconds; this one has {fields}.";
            return false;
        }
        try
        {
            expression = CronExpression.Parse(cron.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            error = "";
            return true;
        }
        catch (CronFormatException ex)
        {
            error = $"Invalid cron expression: {ex.Message}";
            return false;
        }
    }

    /// <summary>
    /// An IANA or a Windows time zone id, on every platform (the hub runs without ICU, which .NET would need to map
    /// them); UTC when <paramref name="id"/> is null or blank. <paramref name="error"/> is what a save, and the
    /// schedule's preview, say of a zone it does not know.
    /// </summary>
    public static bool TryFindTimeZone(string? id, out TimeZoneInfo zone, out string error)
    {
        error = "";
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id))
        {
            return true;
        }
        if (TZConvert.TryGetTimeZoneInfo(id.Trim(), out var found))
        {
            zone = found;
            return true;
        }
        error = $"Unknown time zone '{id}'.";
        return false;
    }

    /// <summary>The expression as it is saved: its fields apart by one space, whatever white space was typed between them.</summary>
    public static string NormalizeCron(string cron) => string.Join(' ', Fields(cron));

    /// <summary>
    /// The id to save for a zone typed as <paramref name="id"/>, spelt as its own naming system spells it: "europe/berlin"
    /// is saved as "Europe/Berlin", "utc" as "UTC", "w. europe standard time" as "W. Europe Standard Time". The lookup
    /// ignores case, so the zone was found, but the text was saved as typed and shown so everywhere.
    /// </summary>
    public static string CanonicalTimeZoneId(string id)
    {
        var trimmed = id.Trim();
        return KnownTimeZoneIds.TryGetValue(trimmed, out var known) ? known
            : TZConvert.TryGetTimeZoneInfo(trimmed, out var zone) ? zone.Id
            : trimmed;
    }

    private static readonly FrozenDictionary<string, string> KnownTimeZoneIds = TZConvert.KnownIanaTimeZoneNames
        .Concat(TZConvert.KnownWindowsTimeZoneIds)
        .DistinctBy(name => name, StringComparer.OrdinalIgnoreCase)
        .ToFrozenDictionary(name => name, StringComparer.OrdinalIgnoreCase);

    private static string[] Fields(string cron) => cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
