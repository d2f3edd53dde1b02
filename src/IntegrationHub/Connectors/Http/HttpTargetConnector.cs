using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace IntegrationHub.Connectors.Http;

/// <summary>
/// <c>http</c>: sends the records as JSON with POST, PUT or PATCH, one request per record or, with <c>batch</c>, one
/// request holding them all as an array. Records are sent in order and the first failure stops the run, so records
/// before it have been delivered; a retried run sends them again.
/// </summary>
internal sealed class HttpTargetConnector(HttpConnectorClient client) : ITargetConnector
{
    private const string What = "The http target";

    public string Type => ConnectorTypes.Http;

    public async Task WriteAsync(TargetContext run, IReadOnlyList<JsonElement> records, CancellationToken cancellationToken)
    {
        var settings = run.Scenario.Target;
        var method = settings.Method?.Trim().ToUpperInvariant() switch
        {
            "POST" or null or "" => HttpMethod.Post,
            "PUT" => HttpMethod.Put,
            "PATCH" => HttpMethod.Patch,
            _ => throw new ConnectorException($"{What} sends with POST, PUT or PATCH, not {settings.Method}.", retryable: false),
        };

        if (settings.Batch)
        {
            if (records.Count > 0)
            {
                using var response = await client.SendAsync(What, method, settings.Url, settings.Headers, Content(records), readBody: false, run.Log, cancellationToken);
            }
            return;
        }

        for (var i = 0; i < records.Count; i++)
        {
            var record = $"Record {i + 1} of {records.Count}";
            try
            {
                // A retry's warning names the record: it is the one the target may have received twice.
                using var response = await client.SendAsync(
                    What, method, settings.Url, settings.Headers, Content([records[i]], asArray: false), readBody: false, new RecordLog(run.Log, record), cancellationToken);
            }
            catch (ConnectorException ex)
            {
                // A failed run counts no records out, so the message says what did arrive: users read "records out: 0"
                // as nothing delivered, and resent by hand what the target already had.
                var message = $"{record}: {ex.Message}";
                if (DeliveredBefore(i) is { } delivered)
                {
                    message += $"{(message.EndsWith('.') ? "" : ".")} {delivered}";
                }
                throw new ConnectorException(message, ex.Retryable, ex);
            }
            catch (ConnectorInterruptedException ex)
            {
                throw ex.ForRecord(record, DeliveredBefore(i));
            }
            catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
            {
                // The run's timeout: its message says which record was on its way and which arrived, as every other
                // failure's does.
                throw new ConnectorInterruptedException(record, null, ex, cancellationToken, DeliveredBefore(i));
            }
        }
    }

    /// <summary>What a failure of the record after <paramref name="count"/> delivered ones adds; null for none.</summary>
    private static string? DeliveredBefore(int count) => count switch
    {
        0 => null,
        1 => "Record 1 was delivered before it.",
        _ => $"Records 1 to {count} were delivered before it.",
    };

    /// <summary>The run's log, each line told of the record being sent.</summary>
    private sealed class RecordLog(IConnectorLog log, string record) : IConnectorLog
    {
        public void Warn(string message) => log.Warn($"{record}: {message}");
    }

    private static ByteArrayContent Content(IReadOnlyList<JsonElement> records, bool asArray = true)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        // The default encoder, made for JSON inside HTML, escaped quotes, "+", "<" and every non-ASCII letter as \uXXXX:
        // valid JSON, but not the text the receiving system's logs, signatures or naive parsers expect.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            if (asArray)
            {
                writer.WriteStartArray();
            }
            foreach (var record in records)
            {
                record.WriteTo(writer);
            }
            if (asArray)
            {
                writer.WriteEndArray();
            }
        }

        var content = new ByteArrayContent(buffer.WrittenMemory.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json", "utf-8");
        return content;
    }
}
