using IntegrationHub.Connectors;

namespace IntegrationHub.Scenarios;

/// <summary>
/// The Edit page's fields as the browser posts them (flat strings), turned into the API's <see cref="ScenarioRequest"/>
/// so that the page saves through the same <see cref="ScenarioCommands"/>, and the same validation, as the API.
/// </summary>
internal sealed class ScenarioEditForm
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    // False by default: an unchecked box posts nothing, so the binder must not assume "on".
    public bool Enabled { get; set; }
    public string? SourceType { get; set; } = ConnectorTypes.None;
    public string? SourceUrl { get; set; }
    public string? SourceHeaders { get; set; }
    public string? SourceScript { get; set; }
    public string? TargetType { get; set; } = ConnectorTypes.None;
    public string? TargetUrl { get; set; }
    public string? TargetMethod { get; set; } = "POST";
    public bool TargetBatch { get; set; }
    public string? TargetHeaders { get; set; }
    public string? TargetKeyFields { get; set; }
    public string? Cron { get; set; }
    public string? TimeZone { get; set; }
    public int? Version { get; set; }

    public const string NewScript = """
        // `data` holds the incoming records: for a POST trigger, data[0].Body is the request body.
        // Return the records to pass on to the target.
        return data.map(record => record.Body ?? record);
        """;

    public static ScenarioEditForm From(ScenarioResponse s) => new()
    {
        Name = s.Name,
        Description = s.Description,
        Enabled = s.Enabled,
        SourceType = s.Source.Type,
        SourceUrl = s.Source.Url,
        SourceHeaders = FormatHeaders(s.Source.Headers),
        SourceScript = s.SourceScript,
        TargetType = s.Target.Type,
        TargetUrl = s.Target.Url,
        TargetMethod = s.Target.Method,
        TargetBatch = s.Target.Batch ?? false,
        TargetHeaders = FormatHeaders(s.Target.Headers),
        TargetKeyFields = s.Target.KeyFields is { } keys ? string.Join(", ", keys) : null,
        Cron = s.Schedule?.Cron,
        TimeZone = s.Schedule?.TimeZone,
        Version = s.Version,
    };

    /// <summary>
    /// The request to save: the form's fields over <paramref name="current"/>, whose Advanced settings the Edit page does
    /// not show. Only the fields of the chosen connector types: the page hides the others but still posts what was
    /// typed into them before the type changed, which would be saved unchecked (a URL of a "none" source).
    /// </summary>
    public ScenarioRequest ToRequest(ScenarioResponse? current)
    {
        var httpSource = Is(SourceType, ConnectorTypes.Http);
        var httpTarget = Is(TargetType, ConnectorTypes.Http);
        return new(
            Name,
            Description ?? "",
            Enabled,
            new SourceDto(SourceType, httpSource ? Blank(SourceUrl) : null, httpSource ? ParseHeaders(SourceHeaders) : null),
            SourceScript ?? "",
            new TargetDto(
                TargetType,
                httpTarget ? Blank(TargetUrl) : null,
                httpTarget ? Blank(TargetMethod) : null,
                httpTarget && TargetBatch,
                httpTarget ? ParseHeaders(TargetHeaders) : null,
                Is(TargetType, ConnectorTypes.Storage) ? ParseList(TargetKeyFields) : null),
            string.IsNullOrWhiteSpace(Cron) ? null : new ScheduleDto(Cron, Blank(TimeZone)),
            current?.Advanced,
            Version);
    }

    /// <summary>
    /// The header lines of an http source or target that have no colon, by field as the API names it: such a line is a
    /// slip (a value on a line of its own), which saved as a header of that name with no value.
    /// </summary>
    public Dictionary<string, string> HeaderLineErrors()
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        AddLineError(errors, "source.headers", Is(SourceType, ConnectorTypes.Http) ? SourceHeaders : null);
        AddLineError(errors, "target.headers", Is(TargetType, ConnectorTypes.Http) ? TargetHeaders : null);
        return errors;

        static void AddLineError(Dictionary<string, string> errors, string field, string? text)
        {
            if (Lines(text).FirstOrDefault(line => !line.Contains(':', StringComparison.Ordinal)) is { } line)
            {
                errors[field] = $"\"{line}\" has no colon: write each header on its own line as Name: value.";
            }
        }
    }

    /// <summary>
    /// What the Edit and Advanced edit pages say when saving was refused other than by validation: a stale version, or a
    /// replace that lost every race, means someone else saved first; only a missing scenario was deleted.
    /// </summary>
    public static string RefusedMessage(ScenarioSaveResult refused) => refused switch
    {
        ScenarioSaveResult.StaleVersion or ScenarioSaveResult.Busy =>
            "Someone else saved this scenario meanwhile. Reload the page to see their changes, then make yours again.",
        ScenarioSaveResult.NotFound => "The scenario no longer exists: someone deleted it meanwhile.",
        _ => throw new ArgumentOutOfRangeException(nameof(refused), refused, "Not a refusal."),
    };

    /// <summary>The first message per field, keyed as the API keys it (e.g. <c>advanced.maxAttempts</c>), for beside the inputs.</summary>
    public static Dictionary<string, string> FieldErrors(ScenarioSaveResult.Invalid invalid) =>
        invalid.Errors.ToDictionary(e => e.Key, e => e.Value.FirstOrDefault() ?? "Not valid.", StringComparer.Ordinal);

    /// <summary>Header lines as the page shows them: <c>Name: value</c>, one a line.</summary>
    public static string? FormatHeaders(IReadOnlyDictionary<string, string>? headers) =>
        headers is null or { Count: 0 } ? null : string.Join("\n", headers.Select(h => $"{h.Key}: {h.Value}"));

    /// <summary>
    /// Reads <c>Name: value</c> lines (a line without a colon is a name with an empty value; the page refuses such lines
    /// first, <see cref="HeaderLineErrors"/>).
    /// A name given on several lines gets their values joined by commas, which HTTP defines as the same thing (RFC 9110,
    /// 5.3), instead of the last line silently replacing the others.
    /// </summary>
    public static IReadOnlyDictionary<string, string>? ParseHeaders(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in Lines(text))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? line : line[..colon].Trim();
            var value = colon < 0 ? "" : line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var earlier) ? $"{earlier}, {value}" : value;
        }
        return headers;
    }

    private static string[]? ParseList(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static string[] Lines(string? text) => (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool Is(string? type, string connectorType) => string.Equals(type, connectorType, StringComparison.OrdinalIgnoreCase);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
