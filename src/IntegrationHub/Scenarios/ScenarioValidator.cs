using System.Collections.Frozen;
using IntegrationHub.Connectors;
using IntegrationHub.Scripting;

namespace IntegrationHub.Scenarios;

/// <summary>
/// Checks a <see cref="ScenarioRequest"/> and copies it onto the flat <see cref="Scenario"/> entity. Errors are keyed by
/// the JSON path of the field (<c>advanced.maxAttempts</c>) so a client can show them next to the input.
/// </summary>
internal static class ScenarioValidator
{
    private static readonly string[] HttpMethods = ["POST", "PUT", "PATCH"];

    /// <summary>
    /// Headers that say how a request travels rather than what it says. Set by a scenario they broke every run: a
    /// Content-Length that did not match the body failed each one (and was retried), a Host sent the request to another
    /// site's name on the URL's server, Transfer-Encoding and Expect changed the framing under HttpClient.
    /// </summary>
    private static readonly FrozenSet<string> ConnectionHeaders = FrozenSet.ToFrozenSet(
        ["Connection", "Content-Length", "Expect", "Host", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding", "Upgrade"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>The problems with <paramref name="request"/>; empty when it may be saved.</summary>
    /// <param name="scriptError">The script's syntax error, reported with its line and column.</param>
    public static Dictionary<string, string[]> Validate(ScenarioRequest request, out ScriptSyntaxError? scriptError)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        scriptError = null;

        if (string.IsNullOrWhiteSpace(request.Name))
        {
            errors["name"] = ["The name is required."];
        }
        else if (request.Name.Trim().Length > ScenarioLimits.NameMaxLength)
        {
            errors["name"] = [$"The name is at most {ScenarioLimits.NameMaxLength} characters."];
        }

        if (request.Description?.Length > ScenarioLimits.DescriptionMaxLength)
        {
            errors["description"] = [$"The description is at most {ScenarioLimits.DescriptionMaxLength} characters."];
        }

        // Settings the chosen type does not use are kept as given but not checked (docs/connectors.md): the editor hides
        // them, so an error there ("2 fields need your attention") pointed at nothing the user could see. Their sizes
        // are checked whatever the type: they are stored and listed all the same.
        var source = request.Source ?? new SourceDto();
        var sourceType = ConnectorTypes.Normalize(source.Type ?? ConnectorTypes.None, ConnectorTypes.Sources);
        if (sourceType is null)
        {
            errors["source.type"] = [$"Unknown source type '{source.Type}'; use one of: {string.Join(", ", ConnectorTypes.Sources)}."];
        }
        CheckUrl(errors, "source.url", source.Url, sourceType == ConnectorTypes.Http ? "An http source" : null);
        CheckHeaders(errors, "source.headers", source.Headers, checkContent: sourceType == ConnectorTypes.Http);

        var target = request.Target ?? new TargetDto();
        var targetType = ConnectorTypes.Normalize(target.Type ?? ConnectorTypes.None, ConnectorTypes.Targets);
        if (targetType is null)
        {
            errors["target.type"] = [$"Unknown target type '{target.Type}'; use one of: {string.Join(", ", ConnectorTypes.Targets)}."];
        }
        CheckUrl(errors, "target.url", target.Url, targetType == ConnectorTypes.Http ? "An http target" : null);
        CheckHeaders(errors, "target.headers", target.Headers, checkContent: targetType == ConnectorTypes.Http);
        if (target.Method?.Length > ScenarioLimits.MethodMaxLength)
        {
            errors["target.method"] = [$"The method is at most {ScenarioLimits.MethodMaxLength} characters."];
        }
        else if (targetType == ConnectorTypes.Http && target.Method is { } method && !HttpMethods.Contains(method.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            errors["target.method"] = ["The method is POST, PUT or PATCH."];
        }
        CheckKeyFields(errors, "target.keyFields", target.KeyFields, required: targetType == ConnectorTypes.Storage);

        if (request.Schedule is { Cron: { } cron } schedule && !string.IsNullOrWhiteSpace(cron))
        {
            // The expression and the zone are checked apart, not through ScenarioSchedule.TryParse, so that a request wrong
            // in both hears of both, each under its own field.
            if (!ScenarioSchedule.TryParseCron(cron, out var expression, out var cronError))
            {
                errors["schedule.cron"] = [cronError];
            }
            // Any cron that fires at all fires within one 400-year Gregorian cycle; one that never does (30 February)
            // would be saved and then silently never run.
            else if (expression.GetNextOccurrence(DateTime.UnixEpoch) is null)
            {
                errors["schedule.cron"] = [$"'{cron.Trim()}' never occurs (no date matches it)."];
            }
            if (!ScenarioSchedule.TryFindTimeZone(schedule.TimeZone, out _, out var zoneError))
            {
                errors["schedule.timeZone"] = [zoneError];
            }
        }
        else if (!string.IsNullOrWhiteSpace(request.Schedule?.TimeZone))
        {
            errors["schedule.timeZone"] = ["A time zone needs schedule.cron; without one there is no schedule for it to apply to."];
        }

        var advanced = request.Advanced ?? new AdvancedDto();
        CheckRange(errors, "advanced.maxConcurrentRuns", advanced.MaxConcurrentRuns, ScenarioLimits.MaxConcurrentRunsMax);
        CheckRange(errors, "advanced.maxQueuedRuns", advanced.MaxQueuedRuns, ScenarioLimits.MaxQueuedRunsMax);
        CheckRange(errors, "advanced.timeoutSeconds", advanced.TimeoutSeconds, ScenarioLimits.TimeoutSecondsMax);
        CheckRange(errors, "advanced.maxAttempts", advanced.MaxAttempts, ScenarioLimits.MaxAttemptsMax);
        if (advanced.AllowAnonymousTriggers == true && advanced.EnableExternalTriggers != true)
        {
            errors["advanced.allowAnonymousTriggers"] = ["Anonymous triggers need enableExternalTriggers."];
        }

        if (request.SourceScript?.Length > ScenarioLimits.SourceScriptMaxLength)
        {
            errors["sourceScript"] = [$"The Source Script is at most {ScenarioLimits.SourceScriptMaxLength:N0} characters; this one has {request.SourceScript.Length:N0}."];
        }
        else if (!string.IsNullOrWhiteSpace(request.SourceScript) && ScriptSyntax.Check(request.SourceScript) is { } syntax)
        {
            scriptError = syntax;
            errors["sourceScript"] = [$"Line {syntax.Line}, column {syntax.Column}: {syntax.Message}"];
        }

        return errors;
    }

    /// <summary>Copies a validated request onto <paramref name="scenario"/>.</summary>
    public static void Apply(ScenarioRequest request, Scenario scenario, DateTimeOffset now)
    {
        var source = request.Source ?? new SourceDto();
        var target = request.Target ?? new TargetDto();
        var advanced = request.Advanced ?? new AdvancedDto();
        var defaults = new Scenario { Name = "" };

        scenario.Name = request.Name!.Trim();
        scenario.Description = request.Description ?? "";
        var wasEnabled = scenario.Enabled;
        scenario.Enabled = request.Enabled ?? true;
        scenario.Source = new SourceSettings(
            ConnectorTypes.Normalize(source.Type ?? ConnectorTypes.None, ConnectorTypes.Sources)!,
            NullIfEmpty(source.Url),
            source.Headers);
        scenario.SourceScript = request.SourceScript ?? "";
        scenario.Target = new TargetSettings(
            ConnectorTypes.Normalize(target.Type ?? ConnectorTypes.None, ConnectorTypes.Targets)!,
            NullIfEmpty(target.Url),
            target.Method?.Trim().ToUpperInvariant() ?? "POST",
            target.Batch ?? false,
            target.Headers,
            target.KeyFields);

        var cron = NullIfEmpty(request.Schedule?.Cron) is { } text ? ScenarioSchedule.NormalizeCron(text) : null;
        var timeZone = cron is null ? null : NullIfEmpty(request.Schedule?.TimeZone) is { } typed ? ScenarioSchedule.CanonicalTimeZoneId(typed) : null;
        var resumed = !wasEnabled && scenario.Enabled;
        if (cron != scenario.Cron || timeZone != scenario.TimeZone || scenario.NextOccurrenceAt is null || resumed)
        {
            // A changed or resumed schedule starts from now: occurrences of the old one, or those that fell while the
            // scenario was disabled, are not owed.
            scenario.NextOccurrenceAt = cron is not null && ScenarioSchedule.TryParse(cron, timeZone, out var schedule, out _) ? schedule.Next(now) : null;
        }
        scenario.Cron = cron;
        scenario.TimeZone = timeZone;

        scenario.EnableExternalTriggers = advanced.EnableExternalTriggers ?? defaults.EnableExternalTriggers;
        scenario.AllowAnonymousTriggers = advanced.AllowAnonymousTriggers ?? defaults.AllowAnonymousTriggers;
        scenario.MaxConcurrentRuns = advanced.MaxConcurrentRuns ?? defaults.MaxConcurrentRuns;
        scenario.MaxQueuedRuns = advanced.MaxQueuedRuns ?? defaults.MaxQueuedRuns;
        scenario.TimeoutSeconds = advanced.TimeoutSeconds ?? defaults.TimeoutSeconds;
        scenario.MaxAttempts = advanced.MaxAttempts ?? defaults.MaxAttempts;
        scenario.UpdatedAt = now;
    }

    private static void CheckRange(Dictionary<string, string[]> errors, string field, int? value, int max)
    {
        if (value is { } v && (v < 1 || v > max))
        {
            errors[field] = [$"Must be between 1 and {max}."];
        }
    }

    /// <summary>
    /// Header names must be HTTP tokens and values printable ASCII (tabs allowed). HttpClient refuses anything else
    /// when the run sends it, so the header would be dropped or the run fail long after the save. Those checks are for
    /// an http connector's headers (<paramref name="checkContent"/>); their number and lengths are checked for any.
    /// </summary>
    private static void CheckHeaders(Dictionary<string, string[]> errors, string field, IReadOnlyDictionary<string, string>? headers, bool checkContent)
    {
        if (headers is null)
        {
            return;
        }
        if (headers.Count > ScenarioLimits.HeadersMaxCount)
        {
            errors[field] = [$"At most {ScenarioLimits.HeadersMaxCount} headers; there are {headers.Count:N0}."];
            return;
        }
        var problems = new List<string>();
        foreach (var (name, value) in headers)
        {
            if (name.Length > ScenarioLimits.HeaderNameMaxLength)
            {
                problems.Add($"A header name is at most {ScenarioLimits.HeaderNameMaxLength} characters; '{name[..32]}...' has {name.Length:N0}.");
            }
            else if (value?.Length > ScenarioLimits.HeaderValueMaxLength)
            {
                problems.Add($"A header value is at most {ScenarioLimits.HeaderValueMaxLength:N0} characters; the value of '{name}' has {value.Length:N0}.");
            }
            else if (!checkContent)
            {
                continue;
            }
            else if (name.Length == 0 || !name.All(IsTokenChar))
            {
                problems.Add($"'{name}' is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only, no spaces).");
            }
            else if (value is null || !value.All(c => c == '\t' || c is >= ' ' and <= '~'))
            {
                problems.Add($"The value of '{name}' must be printable ASCII text on one line (no line breaks or control characters).");
            }
            else if (ConnectionHeaders.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"'{name}' cannot be set: the hub's HTTP client sets the headers that frame and route a request itself "
                    + $"({string.Join(", ", ConnectionHeaders.Order(StringComparer.Ordinal))} and Proxy-*).");
            }
        }
        // Header names ignore case: 'X-A' and 'x-a' are one header, which a run could not send (the source failed every
        // run with "An item with the same key has already been added", the target sent both values as one).
        var sameNames = checkContent ? headers.Keys.GroupBy(name => name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1) : [];
        foreach (var same in sameNames)
        {
            problems.Add($"'{string.Join("' and '", same)}' are the same header (names ignore case); give it once.");
        }
        if (problems.Count > 0)
        {
            errors[field] = [.. problems];
        }
    }

    /// <summary>A storage target needs key fields (<paramref name="required"/>); any type's are held to their bounds.</summary>
    private static void CheckKeyFields(Dictionary<string, string[]> errors, string field, IReadOnlyList<string>? keyFields, bool required)
    {
        if (keyFields?.Count > ScenarioLimits.KeyFieldsMaxCount)
        {
            errors[field] = [$"At most {ScenarioLimits.KeyFieldsMaxCount} key fields; there are {keyFields.Count:N0}."];
        }
        else if (keyFields?.FirstOrDefault(f => f?.Length > ScenarioLimits.KeyFieldMaxLength) is { } tooLong)
        {
            errors[field] = [$"A key field is at most {ScenarioLimits.KeyFieldMaxLength} characters; '{tooLong[..32]}...' has {tooLong.Length:N0}."];
        }
        else if (required && (keyFields is not { Count: > 0 } || keyFields.Any(string.IsNullOrWhiteSpace)))
        {
            errors[field] = ["A storage target needs at least one key field, none of them empty."];
        }
        // A key field is a top-level property name as written (case and dots included: "a.b" names a property of that
        // name, not a path). " id " was saved as typed and then failed every run for want of that property, and a field
        // given twice made one key of both.
        else if (required && keyFields!.FirstOrDefault(f => f.Trim().Length != f.Length) is { } spaced)
        {
            errors[field] = [$"The key field '{spaced}' begins or ends with white space; give the record's property name as written, without it."];
        }
        else if (required && keyFields!.GroupBy(f => f, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            errors[field] = [$"The key field '{twice.Key}' is given {twice.Count()} times; give each once."];
        }
    }

    /// <summary>
    /// Holds <paramref name="url"/> to its length, and for an http connector (<paramref name="connector"/> names it, null
    /// for a type that does not use the URL) to <see cref="UrlProblem"/>.
    /// </summary>
    private static void CheckUrl(Dictionary<string, string[]> errors, string field, string? url, string? connector)
    {
        if (url?.Length > ScenarioLimits.UrlMaxLength)
        {
            errors[field] = [$"The URL is at most {ScenarioLimits.UrlMaxLength:N0} characters; this one has {url.Length:N0}."];
        }
        else if (connector is not null && UrlProblem(url, connector) is { } problem)
        {
            errors[field] = [problem];
        }
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);

    /// <summary>
    /// Why <paramref name="url"/> cannot be an http connector's, or null. A user name and password in it are refused:
    /// HttpClient never sends them, so the call went out without them, and a password has no place in a URL the hub shows.
    /// </summary>
    private static string? UrlProblem(string? url, string connector) =>
        !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            ? $"{connector} needs an absolute http or https URL."
            : uri.UserInfo.Length > 0
                ? $"{connector}'s URL cannot hold a user name or password (user:password@); send them in an Authorization header."
                : null;

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
