using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using IntegrationHub.Data;
using IntegrationHub.Hosting;
using IntegrationHub.Scenarios;
using IntegrationHub.Telemetry;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Runs;

/// <summary>
/// Executes queued runs on this node: claims them in batches into free slots, holds their leases while they run,
/// publishes the logs of long runs as they grow, stops the runs users cancel and those of deleted scenarios, records
/// their outcomes and returns runs of dead nodes to the queue.
/// On shutdown it stops claiming and lets the running runs finish within <c>Hub:ShutdownTimeout</c>; runs still going
/// then are released to the queue.
/// </summary>
internal sealed partial class RunWorker : BackgroundService
{
    /// <summary>How long after the scenario's timeout the worker cancels a run the executor did not stop.</summary>
    private static readonly TimeSpan TimeoutBackstopGrace = TimeSpan.FromSeconds(5);

    private readonly RunStore _store;
    private readonly RunCompleter _completer;
    private readonly RunExecutor _executor;
    private readonly ScenarioSnapshots _scenarios;
    private readonly RunSignals _signals;
    private readonly RunsOptions _options;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<RunWorker> _logger;
    private readonly Histogram<double> _duration;
    private readonly ConcurrentDictionary<Guid, InFlight> _inFlight = new();
    // Cancelled when the host's shutdown timeout passes: runs still executing then are aborted and released.
    // Not disposed with the worker: the host may still call StopAsync after disposing its services (seen under
    // WebApplicationFactory), and its timer ends with the process anyway.
    private readonly CancellationTokenSource _abort = new();
    private readonly TimeSpan _shutdownTimeout;

    public RunWorker(
        RunStore store,
        RunCompleter completer,
        RunExecutor executor,
        ScenarioSnapshots scenarios,
        RunSignals signals,
        IOptions<RunsOptions> options,
        IOptions<HubOptions> hubOptions,
        TimeProvider time,
        IHostApplicationLifetime lifetime,
        IMeterFactory meters,
        ILogger<RunWorker> logger)
    {
        _store = store;
        _completer = completer;
        _executor = executor;
        _scenarios = scenarios;
        _signals = signals;
        _options = options.Value;
        _time = time;
        _lifetime = lifetime;
        _logger = logger;
        _duration = meters.Create(HubTelemetry.MeterName).CreateHistogram<double>(
            "integrationhub.run.duration", "s", "Attempts this node ran, from claim to recorded outcome, by the status recorded (Queued: a retry follows).");
        // The suffix keeps leases of two processes apart even when both were given the same node name.
        var node = hubOptions.Value.NodeName ?? $"{Environment.MachineName}:{Environment.ProcessId}";
        _shutdownTimeout = hubOptions.Value.ShutdownTimeout;
        NodeId = $"{node}:{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>The lease owner this node writes on the runs it claims.</summary>
    public string NodeId { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not before the node has started: a node that fails to start must not have claimed runs it then abandons.
        if (!_options.ExecuteRuns || !await _lifetime.WaitForStartAsync(stoppingToken))
        {
            return;
        }

        _signals.CancelRequested += Cancel;
        _signals.ScenarioDeleted += StopRunsOf;
        using var maintenanceStop = new CancellationTokenSource();
        var maintenance = Task.WhenAll(MaintainLeasesAsync(maintenanceStop.Token), PublishLiveLogsAsync(maintenanceStop.Token));
        LogStarted(_logger, NodeId, _options.Concurrency);
        try
        {
            await ClaimLoopAsync(stoppingToken);
        }
        catch (Exception ex) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: stop claiming. A claim the stop cut short may fail otherwise than as cancelled (a database
            // error, its scenarios' load); let out, it skipped the wait below and left the runs in flight unwatched.
            if (ex is not OperationCanceledException)
            {
                LogClaimEndedByStop(_logger, ex);
            }
        }

        // Leases stay renewed while the last runs finish; otherwise another node would take them over mid-run.
        await Task.WhenAll(_inFlight.Values.Select(f => f.Execution));
        await maintenanceStop.CancelAsync();
        await maintenance;
        _signals.CancelRequested -= Cancel;
        _signals.ScenarioDeleted -= StopRunsOf;
    }

    /// <summary>Stops <paramref name="runId"/> if this node is executing it; it is then recorded Cancelled.</summary>
    private void Cancel(Guid runId)
    {
        if (_inFlight.TryGetValue(runId, out var inFlight))
        {
            _ = CancelUnlessEndedAsync(inFlight.Cancel);
        }
    }

    /// <summary>Stops this node's runs of <paramref name="scenarioId"/>, deleted with it: there is nothing to record.</summary>
    private void StopRunsOf(Guid scenarioId)
    {
        foreach (var inFlight in _inFlight.Values)
        {
            if (inFlight.ScenarioId != scenarioId)
            {
                continue;
            }
            inFlight.ScenarioDeleted = true;
            // As a lost lease ends a run: no outcome, the run's row is gone.
            _ = CancelUnlessEndedAsync(inFlight.Lease);
        }
    }

    /// <summary>
    /// Cancels one of a run's token sources, unless the run ended meanwhile and disposed it. Not
    /// <see cref="CancellationTokenSource.Cancel()"/>: its callbacks (the HTTP client's, the script engine's) would run
    /// on the thread that asked, an HTTP request or the notification listener.
    /// </summary>
    internal static async Task CancelUnlessEndedAsync(CancellationTokenSource source)
    {
        try
        {
            await source.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // Disposed before the cancellation began, or while it ran on the thread pool (then the task faults with
            // it): an ended run has nothing left to stop. Let out, it cut the lease loop's round short.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Runs get Hub:ShutdownTimeout to finish, counted here rather than left to the host's token alone: that token
        // was seen not to fire under ASP.NET Core while a run waited on an HTTP target, and the run stayed Running.
        _abort.CancelAfter(_shutdownTimeout);
        using (cancellationToken.Register(_abort.Cancel))
        {
            await base.StopAsync(cancellationToken);
        }
        if (ExecuteTask is { IsCompleted: false } running)
        {
            // The shutdown timeout passed: the aborted runs are being released; give that a moment to reach the database.
            await running.WaitAsync(TimeSpan.FromSeconds(5), _time, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        var failures = new FailureStreak(
            e => LogClaimFailed(_logger, e), (count, reason) => LogClaimFailedAgain(_logger, count, reason), count => LogClaiming(_logger, count));
        while (!stoppingToken.IsCancellationRequested)
        {
            var free = _options.Concurrency - _inFlight.Count;
            var more = false;
            if (free > 0)
            {
                try
                {
                    var runs = await _store.ClaimAsync(NodeId, _time, free, stoppingToken);
                    failures.Succeed();
                    if (runs.Count > 0)
                    {
                        await StartClaimedRunsAsync(runs, _time.GetUtcNow());
                    }
                    // A full batch suggests more runs are waiting: claim again without waiting for a wake-up.
                    more = runs.Count == free;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // A database outage: its first failure with the trace, then a line now and then, not one a second.
                    failures.Fail(ex);
                    // The poll interval, longer as the outage goes on; an enqueue (which just committed) ends the wait.
                    await _signals.WaitForWorkAsync(_options.PollInterval * Math.Min(30, failures.Count), _time, stoppingToken);
                    continue;
                }
            }
            if (!more)
            {
                await _signals.WaitForWorkAsync(_options.PollInterval, _time, stoppingToken);
            }
        }
    }

    private async Task StartClaimedRunsAsync(List<ClaimedRun> claimed, DateTimeOffset claimedAt)
    {
        var scenarios = await LoadScenariosAsync(claimed, claimedAt);
        foreach (var (run, _, previousError, previousLog) in claimed)
        {
            if (!scenarios.TryGetValue(run.ScenarioId, out var scenario))
            {
                continue; // Deleted a moment ago, and its runs with it.
            }
            var lease = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
            var inFlight = new InFlight(run.ScenarioId, run.Attempts, claimedAt, run.LeaseExpiresAt ?? claimedAt, lease, new CancellationTokenSource(), new RunLog(_time));
            if (run.Attempts > 1)
            {
                // This attempt's outcome replaces the run's log and error: the earlier attempts stay told of in the log,
                // their lines first, then how the last one ended (a lost lease left no line of its own for it).
                foreach (var line in StoredRunLog.Parse(previousLog))
                {
                    inFlight.Log.Write(line);
                }
                if (previousError is not null)
                {
                    inFlight.Log.Warn($"Attempt {run.Attempts - 1}: {previousError}");
                }
                inFlight.Log.Info($"Attempt {run.Attempts} of {run.MaxAttempts}.");
            }
            // An attempt of this run still here is one whose lease this node lost while it stalled (a long pause, a
            // suspended VM), claimed again now: it stops as a lost lease does, and records nothing (RunStore checks
            // the attempt), while this one is renewed in its place.
            if (_inFlight.TryGetValue(run.Id, out var stale))
            {
                _ = CancelUnlessEndedAsync(stale.Lease);
            }
            _inFlight[run.Id] = inFlight;
            inFlight.Execution = Task.Run(() => ExecuteOneAsync(run, scenario, inFlight));
        }
    }

    /// <summary>
    /// The scenarios of runs just claimed (a query for those new to this node), tried again while the database is
    /// unreachable or busy, for as long as the claim's leases leave time to start the runs before the lease loop must
    /// renew them. The claim counted their attempts: a load that gave up at once left them Running and unrenewed until
    /// the sweeper took them back, and a run on its last attempt failed without having run. Past that time, or on any
    /// other failure, the runs go back to the queue as a shutdown releases them.
    /// </summary>
    private async Task<Dictionary<Guid, Scenario>> LoadScenariosAsync(List<ClaimedRun> claimed, DateTimeOffset claimedAt)
    {
        var versions = claimed.DistinctBy(c => c.Run.ScenarioId).ToDictionary(c => c.Run.ScenarioId, c => c.ScenarioVersion);
        var startBy = claimed.Min(c => c.Run.LeaseExpiresAt ?? claimedAt) - _options.LeaseDuration / 3;
        var failures = new FailureStreak(
            e => LogLoadRetried(_logger, e), (count, reason) => LogLoadRetriedAgain(_logger, count, reason), count => LogLoaded(_logger, count));
        var pause = FirstRecordPause;
        while (true)
        {
            try
            {
                // Not cancellable: these runs are ours now, and must be executed (or released) rather than left Running.
                var scenarios = await _scenarios.GetAsync(versions, CancellationToken.None);
                failures.Succeed();
                return scenarios;
            }
            catch (Exception ex) when (DatabaseErrors.Classify(ex) != DatabaseTrouble.None && !_abort.IsCancellationRequested && _time.GetUtcNow() + pause < startBy)
            {
                failures.Fail(ex);
                await Task.Delay(pause, _time, CancellationToken.None);
                pause = Min(pause * 2, LongestRecordPause);
            }
            catch
            {
                await ReleaseUnstartedAsync(claimed);
                throw;
            }
        }
    }

    /// <summary>Puts claimed runs that will not start back on the queue, their attempts not counted; while the database fails, they are the sweeper's.</summary>
    private async Task ReleaseUnstartedAsync(List<ClaimedRun> claimed)
    {
        foreach (var (run, _, _, _) in claimed)
        {
            try
            {
                await _store.ReleaseAsync(run, NodeId, _time.GetUtcNow(), CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogReleaseFailed(_logger, run.Id, ex);
                return;
            }
        }
    }

    private async Task ExecuteOneAsync(Run run, Scenario scenario, InFlight inFlight)
    {
        try
        {
            var outcome = await ExecuteToOutcomeAsync(run, scenario, inFlight);
            if (outcome is null)
            {
                return;
            }
            var status = await RecordAsync(new RunCompletion(run, outcome, NodeId), inFlight);
            if (status is null)
            {
                LogLeaseLost(_logger, run.Id);
                return;
            }
            _duration.Record((_time.GetUtcNow() - inFlight.ClaimedAt).TotalSeconds, new KeyValuePair<string, object?>("status", status.Value.ToString()));
            if (status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled)
            {
                _signals.Ended(run.Id);
            }
        }
        catch (Exception ex)
        {
            // Recording failed until this node's lease on the run ran out (the database is unreachable or full): the run
            // is no longer renewed, and the sweeper requeues it.
            LogRecordFailed(_logger, run.Id, ex);
        }
        finally
        {
            // Only this attempt's entry: a later attempt of the run (above) may have taken its place.
            _inFlight.TryRemove(KeyValuePair.Create(run.Id, inFlight));
            inFlight.Lease.Dispose();
            inFlight.Cancel.Dispose();
            // The slot is free, and the scenario may now start its next run.
            _signals.WorkAvailable();
        }
    }

    /// <summary>
    /// Executes the run and turns how it ended into the outcome to record: null when there is none for this node to
    /// record, because the run was released at shutdown, or deleted, or taken over by another node.
    /// </summary>
    private async Task<RunOutcome?> ExecuteToOutcomeAsync(Run run, Scenario scenario, InFlight inFlight)
    {
        // The executor enforces the scenario's timeout itself and reports where the script was when it hit it. This is
        // the backstop a few seconds later, so an executor that fails to stop still cannot hold a slot forever.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(1, scenario.TimeoutSeconds)) + TimeoutBackstopGrace, _time);
        using var token = CancellationTokenSource.CreateLinkedTokenSource(inFlight.Lease.Token, inFlight.Cancel.Token, timeout.Token);
        try
        {
            return await _executor.ExecuteAsync(run, scenario, inFlight.Log, token.Token);
        }
        catch (OperationCanceledException) when (inFlight.Cancel.IsCancellationRequested && !inFlight.Lease.IsCancellationRequested)
        {
            inFlight.Log.Warn("Cancelled on request while running.");
            return new(false, 0, 0, inFlight.Log.Lines(), Error: "Cancelled on request while running.", Cancelled: true);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            await _store.ReleaseAsync(run, NodeId, _time.GetUtcNow(), CancellationToken.None);
            LogReleased(_logger, run.Id);
            return null;
        }
        catch (OperationCanceledException) when (inFlight.Lease.IsCancellationRequested)
        {
            // The run was deleted, or another node took it over after our lease expired and records the outcome.
            if (inFlight.ScenarioDeleted)
            {
                LogStoppedWithItsScenario(_logger, run.Id, run.ScenarioId);
            }
            else
            {
                LogLeaseLost(_logger, run.Id);
            }
            return null;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // Not retried: an attempt that used the whole timeout would most likely do so again, holding a slot each time.
            return Failure($"The run exceeded its timeout of {scenario.TimeoutSeconds} s.", retryable: false);
        }
        catch (Exception ex)
        {
            // The executor reports expected failures as outcomes; an exception is a surprise (the database went
            // away, a bug), which another attempt may well not meet.
            LogExecutionFailed(_logger, run.Id, ex);
            return Failure(ex.Message, retryable: true);
        }

        RunOutcome Failure(string error, bool retryable)
        {
            // Keeps what the executor logged before it failed to return.
            inFlight.Log.Error(error);
            return new(false, 0, 0, inFlight.Log.Lines(), Error: error, Retryable: retryable);
        }
    }

    /// <summary>The first pause before an outcome is tried again, and the longest, as the pause doubles.</summary>
    private static readonly TimeSpan FirstRecordPause = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestRecordPause = TimeSpan.FromSeconds(8);

    /// <summary>
    /// Records an outcome, trying again with a growing pause while the database is unreachable, full or busy (a restart,
    /// a full disk, a deadlock) for as long as the run is still this node's as far as it knows: its lease, renewed
    /// meanwhile as long as renewals get through, has not expired, and no renewal found it taken. Giving up sooner would
    /// leave a run that had finished to wait out its lease and run again: an HTTP target would get its data twice
    /// although this node held the run and its result all along. Any other failure is a fault another try would meet
    /// again.
    /// </summary>
    private async Task<RunStatus?> RecordAsync(RunCompletion completion, InFlight inFlight)
    {
        var runId = completion.Run.Id;
        var failures = new FailureStreak(
            e => LogRecordRetried(_logger, runId, e), (count, reason) => LogRecordRetriedAgain(_logger, runId, count, reason), count => LogRecorded(_logger, runId, count));
        var pause = FirstRecordPause;
        while (true)
        {
            try
            {
                var status = await _completer.CompleteAsync(completion);
                failures.Succeed();
                return status;
            }
            catch (Exception ex) when (DatabaseErrors.Classify(ex) != DatabaseTrouble.None && StillHeld(inFlight))
            {
                failures.Fail(ex);
                // Never past the lease as this node knows it: the last try comes as it runs out, before a sweeper
                // (which waits for it to pass) can have requeued the run.
                var wait = Min(pause, inFlight.LeaseExpiresAt - _time.GetUtcNow());
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, _abort.Token);
                pause = Min(pause * 2, LongestRecordPause);
            }
        }
    }

    /// <summary>Whether the run is still this node's as far as it knows, and the node is not aborting its runs.</summary>
    private bool StillHeld(InFlight inFlight) =>
        !_abort.IsCancellationRequested && !inFlight.Lease.IsCancellationRequested && _time.GetUtcNow() < inFlight.LeaseExpiresAt;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "Run worker {NodeId} started with {Concurrency} slots")]
    private static partial void LogStarted(ILogger logger, string nodeId, int concurrency);

    [LoggerMessage(Level = LogLevel.Error, Message = "Claiming runs failed; trying again shortly")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Claiming runs failed {Failures} times in a row: {Reason}")]
    private static partial void LogClaimFailedAgain(ILogger logger, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The last claim failed as the node stopped; the runs in flight finish or are released all the same")]
    private static partial void LogClaimEndedByStop(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Claiming runs again, after {Failures} failures")]
    private static partial void LogClaiming(ILogger logger, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading the scenarios of claimed runs failed; trying again while their leases leave time to start them")]
    private static partial void LogLoadRetried(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading the scenarios of claimed runs failed {Failures} times in a row: {Reason}")]
    private static partial void LogLoadRetriedAgain(ILogger logger, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded the scenarios of claimed runs, after {Failures} failures")]
    private static partial void LogLoaded(ILogger logger, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "Releasing claimed run {RunId}, which did not start, failed; it returns to the queue when its lease expires")]
    private static partial void LogReleaseFailed(ILogger logger, Guid runId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} threw instead of returning an outcome")]
    private static partial void LogExecutionFailed(ILogger logger, Guid runId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording the outcome of run {RunId} failed; it returns to the queue when its lease expires")]
    private static partial void LogRecordFailed(ILogger logger, Guid runId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording the outcome of run {RunId} failed; trying again while this node holds its lease")]
    private static partial void LogRecordRetried(ILogger logger, Guid runId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording the outcome of run {RunId} failed {Failures} times in a row: {Reason}")]
    private static partial void LogRecordRetriedAgain(ILogger logger, Guid runId, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recorded the outcome of run {RunId}, after {Failures} failures")]
    private static partial void LogRecorded(ILogger logger, Guid runId, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} is no longer this node's: it was deleted with its scenario, or another node took it over after this node's lease expired")]
    private static partial void LogLeaseLost(ILogger logger, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} stopped: its scenario {ScenarioId} was deleted, and the run with it")]
    private static partial void LogStoppedWithItsScenario(ILogger logger, Guid runId, Guid scenarioId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} released to the queue at shutdown")]
    private static partial void LogReleased(ILogger logger, Guid runId);
}
