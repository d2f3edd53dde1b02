using System.Buffers;
using System.Data.Common;
using System.Text.Json;
using System.Text;
using IntegrationHub.Connectors;
using IntegrationHub.Data;
using IntegrationHub.Scenarios;
using IntegrationHub.Scripting;
using IntegrationHub.Storage;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Runs;

/// <summary>
/// Executes one claimed run: takes the accepted request (<see cref="TriggerKind.ExternalPost"/>) or reads the source,
/// runs the Source Script, writes the target. Every expected failure comes back as a failed <see cref="RunOutcome"/>
/// that says whether a retry may help; the scenario's <see cref="Scenario.TimeoutSeconds"/> bounds the whole run.
/// </summary>
internal sealed partial class RunExecutor(
    ConnectorRegistry connectors,
    ScriptSandbox sandbox,
    IOptions<StorageOptions> storageOptions,
    TimeProvider time,
    ILogger<RunExecutor> logger)
{
    /// <summary>Runs <paramref name="run"/> of <paramref name="scenario"/> to an outcome, writing into <paramref name="log"/>
    /// as it goes; the outcome's log is what <paramref name="log"/> holds at the end.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (shutdown or a
    /// cancelled run): there is no outcome, and the caller decides what becomes of the run.</exception>
    public async Task<RunOutcome> ExecuteAsync(Run run, Scenario scenario, RunLog log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(log);

        var timeout = TimeSpan.FromSeconds(Math.Max(1, scenario.TimeoutSeconds));
        var deadline = time.GetUtcNow() + timeout;
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var runSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var storage = new StorageChanges(storageOptions.Value.MaxChangesPerRun, storageOptions.Value.MaxValueBytes);
        var recordsIn = 0;
        var phase = "reading the source";

        try
        {
            var input = await ReadInputAsync(run, scenario, log, runSource.Token);
            recordsIn = input.Count;

            phase = "running the script";
            string outputJson;
            int recordsOut;
            if (string.IsNullOrWhiteSpace(scenario.SourceScript))
            {
                outputJson = input.Json;
                recordsOut = recordsIn;
            }
            else
            {
                // The script gets what is left of the run's time, so its timeout failure (with the line it was on)
                // fires before the run's own deadline.
                var invocation = new ScriptInvocation(scenario.Id, scenario.Version, scenario.SourceScript,
                    run.Id, run.Trigger, input.Json, deadline - time.GetUtcNow(), storage, log);
                var script = await sandbox.ExecuteAsync(invocation, cancellationToken);
                if (script.Error is { } error)
                {
                    // The script's timeout is what was left of the run's, so say it from the run's side.
                    var message = error.Kind == ScriptErrorKind.Timeout
                        ? $"The run timed out after {timeout.TotalSeconds:0} s (TimeoutSeconds) while the script ran" + (error.Line is null ? "." : $" (stopped at line {error.Line}, column {error.Column}).")
                        : error.Message;
                    return Failed(log, recordsIn, message, error.Line, error.Column, error.Retryable);
                }
                outputJson = script.RecordsJson!;
                recordsOut = script.RecordCount;
                log.Info($"The script passed on {Records(recordsOut)}.");
            }

            phase = "writing the target";
            var target = connectors.FindTarget(scenario.Target.Type)
                ?? throw new ConnectorException($"Unknown target type \"{scenario.Target.Type}\"; known: {string.Join(", ", connectors.TargetTypes)}.", retryable: false);
            using (var output = JsonDocument.Parse(outputJson, HubJson.DocumentOptions))
            {
                await target.WriteAsync(new TargetContext(scenario, run.Id, storage, log), output.RootElement.EnumerateArray().ToList(), runSource.Token);
            }
            log.Info(target.Type == ConnectorTypes.None
                ? $"The target is none: the {Records(recordsOut)} passed on go nowhere."
                : $"Wrote {Records(recordsOut)} to the {target.Type} target.");
            if (storage.Count > 0)
            {
                log.Info($"Changed {(storage.Count == 1 ? "1 storage key" : $"{storage.Count} storage keys")}, saved with this run's success.");
            }
            return new RunOutcome(true, recordsIn, recordsOut, log.Lines(), outputJson, Storage: storage);
        }
        catch (ConnectorException ex)
        {
            LogConnectorFailed(logger, run.Id, scenario.Id, ex.Retryable, ex.Message);
            return Failed(log, recordsIn, ex.Message, null, null, ex.Retryable);
        }
        catch (OperationCanceledException ex) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Timed out waiting on a source or target: a slow system, which another attempt may find faster. The
            // connector may say which record it was sending and what the server last answered (a 429 it waited out).
            var interrupted = ex as ConnectorInterruptedException;
            var message = $"The run timed out after {timeout.TotalSeconds:0} s (TimeoutSeconds) while {phase}"
                + (interrupted?.LastAnswer is { } answer ? $"; before that {answer}." : ".");
            message = interrupted?.Record is { } record ? $"{record}: {message}" : message;
            return Failed(log, recordsIn, interrupted?.Delivered is { } delivered ? $"{message} {delivered}" : message, null, null, retryable: true);
        }
        catch (DbException ex)
        {
            // The hub's own database failed under the storage connector: not the scenario's fault, so worth a retry.
            LogConnectorFailed(logger, run.Id, scenario.Id, true, ex.Message);
            return Failed(log, recordsIn, $"The hub's storage failed while {phase}: {ex.Message}", null, null, retryable: true);
        }
        catch (InvalidRunException ex)
        {
            return Failed(log, recordsIn, ex.Message, null, null, retryable: false);
        }
    }

    /// <summary>The records the script sees as <c>data</c>, as a JSON array, and how many there are.</summary>
    private async Task<(string Json, int Count)> ReadInputAsync(Run run, Scenario scenario, RunLog log, CancellationToken cancellationToken)
    {
        // A run that carries a request (a POST, or a retry of one that kept its payload) never reads the source: the
        // request is the data, so a retry sees what the first attempt saw.
        if (run.Trigger == TriggerKind.ExternalPost || run.Payload is not null)
        {
            if (run.Payload is null)
            {
                throw new InvalidRunException("The run was triggered by a POST but holds no stored request.");
            }

            try
            {
                // The payload is the request as the accept stored it, already in the shape scripts see: it becomes
                // data[0] as it is, after one pass that checks it and finds its content type for the log.
                // A POST without a body stores an empty content type.
                var contentType = TriggerRequest.ReadContentType(run.Payload);
                log.Info($"Took the posted {(string.IsNullOrEmpty(contentType) ? "" : contentType + " ")}request as data[0]; the source is not read.");
                return ("[" + run.Payload + "]", 1);
            }
            catch (JsonException ex)
            {
                throw new InvalidRunException($"The run's stored request cannot be read: {ex.Message}");
            }
        }

        var source = connectors.FindSource(scenario.Source.Type)
            ?? throw new ConnectorException($"Unknown source type \"{scenario.Source.Type}\"; known: {string.Join(", ", connectors.SourceTypes)}.", retryable: false);
        var records = await source.ReadAsync(new SourceContext(scenario, run.Id, log), cancellationToken);
        log.Info(source.Type == ConnectorTypes.None
            ? "The source is none: the script starts with data = []."
            : $"Read {Records(records.Count)} from the {source.Type} source.");

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var record in records)
            {
                record.WriteTo(writer);
            }
            writer.WriteEndArray();
        }
        return (Encoding.UTF8.GetString(buffer.WrittenSpan), records.Count);
    }

    /// <summary>A failed run wrote nothing to its target that counts: records out is what a run that succeeded wrote.</summary>
    private static RunOutcome Failed(RunLog log, int recordsIn, string error, int? line, int? column, bool retryable)
    {
        log.Error(error);
        return new RunOutcome(false, recordsIn, 0, log.Lines(), null, error, line, column, retryable);
    }

    private static string Records(int count) => count == 1 ? "1 record" : $"{count} records";

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} of scenario {ScenarioId}: a connector failed (retryable: {Retryable}): {Error}")]
    private static partial void LogConnectorFailed(ILogger logger, Guid runId, Guid scenarioId, bool retryable, string error);

    /// <summary>The run itself is unusable (its stored request is missing or unreadable): no retry can help.</summary>
    private sealed class InvalidRunException(string message) : Exception(message);
}
