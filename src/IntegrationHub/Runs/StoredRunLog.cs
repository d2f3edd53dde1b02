using System.Text.Json;

namespace IntegrationHub.Runs;

/// <summary>How a run's log is kept in its row: a JSON array of <see cref="RunLogLine"/>s. The store writes it; the API and the run page read it.</summary>
internal static class StoredRunLog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string ToJson(IReadOnlyList<RunLogLine> lines) => JsonSerializer.Serialize(lines, Json);

    /// <summary>The stored lines; a log that is not such an array (written by hand, or cut) is shown as one line of its text.</summary>
    public static IReadOnlyList<RunLogLine> Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }
        try
        {
            return JsonSerializer.Deserialize<List<RunLogLine>>(json, Json) ?? [];
        }
        catch (JsonException)
        {
            return [new RunLogLine(DateTimeOffset.MinValue, "Info", json)];
        }
    }
}
