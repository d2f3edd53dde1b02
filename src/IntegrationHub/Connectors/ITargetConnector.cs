using System.Text.Json;

namespace IntegrationHub.Connectors;

/// <summary>
/// A system a run writes the Source Script's records to. To add one: implement this, register it in
/// <see cref="ConnectorsExtensions.AddConnectors"/>, and scenarios can name its <see cref="Type"/>.
/// </summary>
internal interface ITargetConnector
{
    /// <summary>The name scenarios give as <c>target.type</c>; matched case-insensitively.</summary>
    string Type { get; }

    /// <summary>Writes the records of one run.</summary>
    /// <exception cref="ConnectorException">The records could not be written; says whether another attempt may succeed.</exception>
    Task WriteAsync(TargetContext run, IReadOnlyList<JsonElement> records, CancellationToken cancellationToken);
}
