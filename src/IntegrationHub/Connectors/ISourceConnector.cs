using System.Text.Json;

namespace IntegrationHub.Connectors;

/// <summary>
/// A system a run reads its records from when the trigger brings none. To add one: implement this, register it in
/// <see cref="ConnectorsExtensions.AddConnectors"/>, and scenarios can name its <see cref="Type"/>.
/// </summary>
internal interface ISourceConnector
{
    /// <summary>The name scenarios give as <c>source.type</c>; matched case-insensitively.</summary>
    string Type { get; }

    /// <summary>Reads the records for one run of its scenario.</summary>
    /// <exception cref="ConnectorException">The system could not be read; says whether another attempt may succeed.</exception>
    Task<IReadOnlyList<JsonElement>> ReadAsync(SourceContext run, CancellationToken cancellationToken);
}
