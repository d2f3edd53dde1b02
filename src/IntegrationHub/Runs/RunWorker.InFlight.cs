namespace IntegrationHub.Runs;

internal sealed partial class RunWorker
{
    /// <summary>A run this node claimed and is executing: what its own task, the lease loop and the log publisher share.</summary>
    private sealed class InFlight(
        Guid scenarioId, int attempt, DateTimeOffset claimedAt, DateTimeOffset leaseExpiresAt, CancellationTokenSource lease, CancellationTokenSource cancel, RunLog log)
    {
        private long _leaseExpiresAtTicks = leaseExpiresAt.UtcTicks;
        private volatile bool _scenarioDeleted;

        public Guid ScenarioId { get; } = scenarioId;

        /// <summary>Set before <see cref="Lease"/> is cancelled because the run's scenario was deleted, for the node's log.</summary>
        public bool ScenarioDeleted
        {
            get => _scenarioDeleted;
            set => _scenarioDeleted = value;
        }

        public int Attempt { get; } = attempt;
        public DateTimeOffset ClaimedAt { get; } = claimedAt;

        /// <summary>
        /// When this node's lease on the run expires, as far as it knows: from the claim, then from each renewal that
        /// held it. Written by the lease loop, read by the run's own task.
        /// </summary>
        public DateTimeOffset LeaseExpiresAt
        {
            get => new(Interlocked.Read(ref _leaseExpiresAtTicks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _leaseExpiresAtTicks, value.UtcTicks);
        }

        /// <summary>Cancelled when this node lost the run (its lease) or shuts down past its timeout.</summary>
        public CancellationTokenSource Lease { get; } = lease;
        /// <summary>Cancelled when a user cancelled the run.</summary>
        public CancellationTokenSource Cancel { get; } = cancel;
        public RunLog Log { get; } = log;
        // Only the publisher's loop reads and writes it.
        public int PublishedLines { get; set; }
        public Task Execution { get; set; } = Task.CompletedTask;
    }
}
