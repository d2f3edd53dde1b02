namespace IntegrationHub.Connectors;

/// <summary>
/// The connector names a scenario's source and target may use: the one list a scenario is validated against when it is
/// saved, and the names the connectors register under. A new connector adds its name here.
/// </summary>
internal static class ConnectorTypes
{
    public const string None = "none";
    public const string Http = "http";
    public const string Storage = "storage";

    public static IReadOnlyList<string> Sources { get; } = [None, Http, Storage];

    public static IReadOnlyList<string> Targets { get; } = [None, Http, Storage];

    /// <summary>The canonical (lower-case) name of <paramref name="type"/> in <paramref name="known"/>, or null.</summary>
    public static string? Normalize(string? type, IReadOnlyList<string> known)
    {
        if (string.IsNullOrWhiteSpace(type))
        {
            return null;
        }
        foreach (var name in known)
        {
            if (string.Equals(name, type.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }
        return null;
    }
}
