namespace IntegrationHub.Connectors;

/// <summary>Finds the connector a scenario names, case-insensitively, among the registered ones.</summary>
internal sealed class ConnectorRegistry
{
    private readonly Dictionary<string, ISourceConnector> _sources;
    private readonly Dictionary<string, ITargetConnector> _targets;

    public ConnectorRegistry(IEnumerable<ISourceConnector> sources, IEnumerable<ITargetConnector> targets)
    {
        // ToDictionary throws on a name registered twice: a start-up error, not a silent pick of one of them.
        _sources = sources.ToDictionary(c => c.Type, StringComparer.OrdinalIgnoreCase);
        _targets = targets.ToDictionary(c => c.Type, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The source names registered, for the error of a run whose source is none of them.</summary>
    public IReadOnlyCollection<string> SourceTypes => _sources.Keys;

    /// <summary>The target names registered, for the error of a run whose target is none of them.</summary>
    public IReadOnlyCollection<string> TargetTypes => _targets.Keys;

    public ISourceConnector? FindSource(string? type) => type is not null && _sources.TryGetValue(type.Trim(), out var c) ? c : null;

    public ITargetConnector? FindTarget(string? type) => type is not null && _targets.TryGetValue(type.Trim(), out var c) ? c : null;
}
