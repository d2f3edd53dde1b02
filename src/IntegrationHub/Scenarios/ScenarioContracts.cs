namespace IntegrationHub.Scenarios;

/// <summary>
/// A scenario as the API reads and writes it (camelCase on the wire). Omitted parts take their defaults.
/// </summary>
/// <param name="Version">Optional on replace: the version the client last read; a different current version answers 409.</param>
internal sealed record ScenarioRequest(
    string? Name,
    string? Description = null,
    bool? Enabled = null,
    SourceDto? Source = null,
    string? SourceScript = null,
    TargetDto? Target = null,
    ScheduleDto? Schedule = null,
    AdvancedDto? Advanced = null,
    int? Version = null);

/// <summary>A stored scenario.</summary>
internal sealed record ScenarioResponse(
    Guid Id,
    string Name,
    string Description,
    bool Enabled,
    SourceDto Source,
    string SourceScript,
    TargetDto Target,
    ScheduleDto? Schedule,
    AdvancedDto Advanced,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>
    /// What a value that may hold a credential reads as for callers who may not edit the scenario: a header's value, and
    /// a URL's query values.
    /// </summary>
    public const string HiddenValue = "(hidden)";

    /// <summary>
    /// The scenario as <paramref name="withHeaderValues"/> says: header values are where credentials for the source and
    /// target live (an Authorization or API key header), so only those who may edit the scenario see them, decrypted
    /// by <paramref name="secrets"/>; the others never cause a value to be decrypted. For them the URLs' query values
    /// are hidden too, as many APIs take their key there (<c>?api_key=...</c>).
    /// </summary>
    internal static ScenarioResponse From(Scenario s, bool withHeaderValues, ScenarioSecrets secrets) => new(
        s.Id,
        s.Name,
        s.Description,
        s.Enabled,
        new SourceDto(s.Source.Type, Url(s.Source.Url, withHeaderValues), Headers(s.Source.Headers, withHeaderValues, secrets)),
        s.SourceScript,
        new TargetDto(s.Target.Type, Url(s.Target.Url, withHeaderValues), s.Target.Method, s.Target.Batch, Headers(s.Target.Headers, withHeaderValues, secrets), s.Target.KeyFields),
        s.Cron is null ? null : new ScheduleDto(s.Cron, s.TimeZone),
        new AdvancedDto(s.EnableExternalTriggers, s.AllowAnonymousTriggers, s.MaxConcurrentRuns, s.MaxQueuedRuns, s.TimeoutSeconds, s.MaxAttempts),
        s.Version,
        s.CreatedAt,
        s.UpdatedAt);

    private static IReadOnlyDictionary<string, string>? Headers(IReadOnlyDictionary<string, string>? headers, bool withValues, ScenarioSecrets secrets) =>
        withValues ? secrets.Decrypt(headers) : headers?.ToDictionary(h => h.Key, _ => HiddenValue, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <paramref name="url"/> with each query value as <see cref="HiddenValue"/> unless <paramref name="withSecrets"/>;
    /// the parameters' names stay, so a reader still sees what the URL asks for. (A URL with a user name or password
    /// is refused on save.)
    /// </summary>
    private static string? Url(string? url, bool withSecrets)
    {
        if (withSecrets || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Query.Length <= 1)
        {
            return url;
        }
        var query = string.Join('&', uri.Query[1..].Split('&').Select(
            // A parameter without a value ("?SECRET") may be the key itself.
            parameter => parameter.IndexOf('=', StringComparison.Ordinal) is > 0 and var equals ? parameter[..(equals + 1)] + HiddenValue : HiddenValue));
        return $"{uri.GetLeftPart(UriPartial.Path)}?{query}";
    }
}

/// <param name="Type"><c>none</c>, <c>http</c> or <c>storage</c> (case-insensitive).</param>
internal sealed record SourceDto(string? Type = null, string? Url = null, IReadOnlyDictionary<string, string>? Headers = null);

/// <param name="Type"><c>none</c>, <c>http</c> or <c>storage</c> (case-insensitive).</param>
/// <param name="Method">For <c>http</c>: POST (default), PUT or PATCH.</param>
internal sealed record TargetDto(
    string? Type = null,
    string? Url = null,
    string? Method = null,
    bool? Batch = null,
    IReadOnlyDictionary<string, string>? Headers = null,
    IReadOnlyList<string>? KeyFields = null);

/// <param name="Cron">Five fields, or six with seconds first. Null or empty: no schedule, as <c>"schedule": null</c>.</param>
/// <param name="TimeZone">IANA or Windows id; UTC when omitted.</param>
internal sealed record ScheduleDto(string? Cron = null, string? TimeZone = null);

/// <summary>The Advanced edit settings; ranges are in <see cref="ScenarioLimits"/>.</summary>
internal sealed record AdvancedDto(
    bool? EnableExternalTriggers = null,
    bool? AllowAnonymousTriggers = null,
    int? MaxConcurrentRuns = null,
    int? MaxQueuedRuns = null,
    int? TimeoutSeconds = null,
    int? MaxAttempts = null);

/// <summary>One page of scenarios.</summary>
internal sealed record ScenarioPage(IReadOnlyList<ScenarioResponse> Items, int Total, int Page, int PageSize);

/// <summary>The documented ranges of the Advanced settings (inclusive).</summary>
internal static class ScenarioLimits
{
    public const int MaxConcurrentRunsMax = 100;
    public const int MaxQueuedRunsMax = 1_000_000;
    public const int TimeoutSecondsMax = 86_400;
    public const int MaxAttemptsMax = 20;
    public const int NameMaxLength = 200;
    public const int DescriptionMaxLength = 4000;

    /// <summary>
    /// A Source Script's length in characters. Every node keeps each scenario's script, parsed, and the scenario list
    /// sends it along; a script this long is a data set pasted into code, which belongs in storage or the source.
    /// </summary>
    public const int SourceScriptMaxLength = 1_000_000;

    // The connector settings below are checked whatever the type (a setting a type does not use is kept, so it is held
    // to the same bound): without them a 25 MB URL or 20,000 headers were saved, and every GET /api/v1/scenarios
    // carried them, 25 MB and 6 seconds, for everyone.

    /// <summary>An http source's or target's URL in characters: what browsers, proxies and servers take at most.</summary>
    public const int UrlMaxLength = 8_192;

    /// <summary>Headers per connector.</summary>
    public const int HeadersMaxCount = 100;

    /// <summary>A header's name in characters.</summary>
    public const int HeaderNameMaxLength = 256;

    /// <summary>A header's value in characters: a long bearer token fits, a request line's worth of data does not.</summary>
    public const int HeaderValueMaxLength = 8_192;

    /// <summary>A storage target's key fields.</summary>
    public const int KeyFieldsMaxCount = 32;

    /// <summary>A key field's name in characters.</summary>
    public const int KeyFieldMaxLength = 256;

    /// <summary>An http target's method in characters (POST, PUT or PATCH; kept as given for other types).</summary>
    public const int MethodMaxLength = 16;
}
