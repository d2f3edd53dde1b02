using System.Buffers;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Storage;

namespace IntegrationHub.Connectors.Storage;

/// <summary><c>storage</c>: the scenario's own live storage entries, each as a record <c>{ key, value }</c>, in key order.</summary>
internal sealed class StorageSourceConnector(ScenarioStorage storage) : ISourceConnector
{
    private const int PageSize = 500;

    public string Type => ConnectorTypes.Storage;

    public async Task<IReadOnlyList<JsonElement>> ReadAsync(SourceContext run, CancellationToken cancellationToken)
    {
        var records = new List<JsonElement>();
        while (true)
        {
            var page = await storage.ListAsync(run.Scenario.Id, null, records.Count, PageSize, cancellationToken);
            foreach (var item in page.Items)
            {
                records.Add(Record(item));
            }
            if (page.Items.Count < PageSize)
            {
                return records;
            }
        }
    }

    private static JsonElement Record(StoredItem item)
    {
        var buffer = new ArrayBufferWriter<byte>(item.Key.Length + item.Value.Length + 32);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("key");
            writer.WriteRawValue(item.Key, skipInputValidation: true);
            writer.WritePropertyName("value");
            writer.WriteRawValue(item.Value, skipInputValidation: true);
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory, HubJson.DocumentOptions);
        return document.RootElement.Clone();
    }
}
