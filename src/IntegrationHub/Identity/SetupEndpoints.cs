using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Identity;

/// <summary><c>/api/v1/setup</c>: creates the first admin with the one-time code printed at first start.</summary>
internal static class SetupEndpoints
{
    public static RouteGroupBuilder MapSetupApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/setup").WithTags("Setup").AllowAnonymous();
        group.MapGet("/", GetStatus).WithName("GetSetupStatus")
            .WithSummary("Whether first-run setup is still open (no user exists yet).");
        group.MapPost("/", Complete).WithName("CompleteSetup")
            .WithSummary("Creates the first admin with the one-time setup code; works once.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    public static Ok<SetupStatusResponse> GetStatus(FirstRunSetup setup) => TypedResults.Ok(new SetupStatusResponse(setup.IsSetupPending));

    public static async Task<Results<Created<UserInfo>, ProblemHttpResult>> Complete(
        SetupRequest request, FirstRunSetup setup, CancellationToken cancellationToken)
    {
        var outcome = await setup.TryCompleteAsync(request.Code, request.Email, request.Password, request.WorkspaceName, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/v1/users/{outcome.Value.Id}", UserInfo.From(outcome.Value))
            : outcome.Error.ToProblem();
    }
}

/// <param name="Code">The code from the setup link the hub printed at start.</param>
/// <param name="WorkspaceName">Renames the default workspace; optional.</param>
internal sealed record SetupRequest(string? Code, string? Email, string? Password, string? WorkspaceName);

internal sealed record SetupStatusResponse(bool SetupPending);
