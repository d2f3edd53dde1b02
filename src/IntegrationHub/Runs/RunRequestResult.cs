using IntegrationHub.Scenarios;

namespace IntegrationHub.Runs;

/// <summary>
/// How a request to run a scenario now, or to resubmit a run, ended (<see cref="RunRequests"/>): the API answers a
/// refusal as a problem, the pages show its <see cref="Refused.Reason"/>.
/// </summary>
internal abstract record RunRequestResult
{
    private RunRequestResult() { }

    /// <summary>The run is queued (or was already, for a repeated trigger); <paramref name="Run"/> as read back.</summary>
    public sealed record Accepted(Run Run) : RunRequestResult;

    /// <summary>No run was queued.</summary>
    public abstract record Refused : RunRequestResult
    {
        /// <summary>Why, in a sentence the API sends as its problem's detail and the pages show.</summary>
        public abstract string Reason { get; }
    }

    /// <summary>The scenario is unknown, another workspace's, or was deleted before the run could be read back.</summary>
    public sealed record ScenarioNotFound(Guid ScenarioId) : Refused
    {
        public override string Reason => ScenarioProblems.NotFoundDetail(ScenarioId);
    }

    /// <summary>The run to resubmit is unknown or another workspace's.</summary>
    public sealed record RunNotFound(Guid RunId) : Refused
    {
        public override string Reason => $"There is no run {RunId}.";
    }

    /// <summary>The run to resubmit is still Queued or Running.</summary>
    public sealed record NotEnded(Guid RunId, RunStatus Status) : Refused
    {
        public override string Reason => $"Run {RunId} is {Status}; only a Succeeded, Failed or Cancelled run can be resubmitted.";
    }

    /// <summary>The scenario already has as many queued runs as its MaxQueuedRuns allows.</summary>
    public sealed record QueueFull : Refused
    {
        public override string Reason => QueueFullProblem.Detail;
    }
}
