using System.Buffers;
using System.Text.Json;
using IntegrationHub.Data;
using IntegrationHub.Storage;

namespace IntegrationHub.Connectors.Storage;

/// <summary>
/// <c>storage</c>: stores each record (an object) under the key built from <c>keyFields</c>: with one field, that
/// field's value is the key; with several, an object of those fields. The records join the run's storage changes,
/// which commit when the run succeeds, so a record without a key field fails the run with nothing written.
/// </summary>
internal sealed class StorageTargetConnector : ITargetConnector
{
    public string Type => ConnectorTypes.Storage;

    public Task WriteAsync(TargetContext run, IReadOnlyList<JsonElement> records, CancellationToken cancellationToken)
    {
        var keyFields = run.Scenario.Target.KeyFields?.Where(f => !string.IsNullOrWhiteSpace(f)).Distinct(StringComparer.Ordinal).ToList() ?? [];
        if (keyFields.Count == 0)
        {
            throw new ConnectorException("The storage target needs keyFields: the record fields whose values form each record's key.", retryable: false);
        }

        for (var i = 0; i < records.Count; i++)
        {
            try
            {
                run.Storage.Set(Key(records[i], keyFields, i, records.Count), records[i].GetRawText(), expiresAt: null);
            }
            catch (StorageChangeLimitException ex)
            {
                throw new ConnectorException($"Record {i + 1} of {records.Count}: {ex.Message}", retryable: false, ex);
            }
        }
        return Task.CompletedTask;
    }

    private static string Key(JsonElement record, List<string> keyFields, int index, int count)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            throw new ConnectorException(
                $"Record {index + 1} of {count} is {record.ValueKind.ToString().ToLowerInvariant()}, not an object, so it has no key fields for the storage target.",
                retryable: false);
        }

        if (keyFields.Count == 1)
        {
            return Checked(Field(record, keyFields[0], keyFields, index, count), keyFields, index, count);
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var field in keyFields)
            {
                writer.WritePropertyName(field);
                Field(record, field, keyFields, index, count).WriteTo(writer);
            }
            writer.WriteEndObject();
        }

        using var key = JsonDocument.Parse(buffer.WrittenMemory, HubJson.DocumentOptions);
        return Checked(key.RootElement, keyFields, index, count);
    }

    /// <summary>
    /// The key's canonical text, held to what the storage API and <c>storage.set</c> accept: a source's <c>1e400</c> (or
    /// a key nested too deep) was stored, and then no API call or script could read, replace or delete that entry. The
    /// same record fails the same way every time, so no retry.
    /// </summary>
    private static string Checked(JsonElement key, List<string> keyFields, int index, int count)
    {
        // Too long is checked here too, so that the message names the key fields as for any other key that cannot be stored.
        var problem = StorageKey.TryCanonicalize(key, out var canonical, out var invalid)
            ? StorageKey.StoreProblem(canonical)?.TrimEnd('.')
            : invalid;
        return problem is null
            ? canonical!
            : throw new ConnectorException(
                $"Record {index + 1} of {count}: its key (keyFields: {string.Join(", ", keyFields)}) cannot be stored: {problem}.",
                retryable: false);
    }

    private static JsonElement Field(JsonElement record, string field, List<string> keyFields, int index, int count) =>
        record.TryGetProperty(field, out var value)
            ? value
            : throw new ConnectorException(
                $"Record {index + 1} of {count} has no field \"{field}\", which the storage target's key is built from (keyFields: {string.Join(", ", keyFields)}).",
                retryable: false);
}
