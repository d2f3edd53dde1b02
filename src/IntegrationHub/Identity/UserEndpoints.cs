using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Identity;

/// <summary><c>/api/v1/users</c> (Admins, for their workspace) and <c>/api/v1/workspaces</c> (installation admins).</summary>
internal static class UserEndpoints
{
    public static RouteGroupBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization(HubPolicies.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/", List).WithName("ListUsers")
            .WithSummary("Users of the caller's workspace; installation admins may name another with ?workspaceId=.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id:guid}", Get).WithName("GetUser")
            .WithSummary("One user of the caller's workspace (installation admins: of any workspace).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/", Create).WithName("CreateUser")
            .WithSummary("Creates a user; without a password the answer carries a generated initial password, shown once.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{id:guid}/role", SetRole).WithName("SetUserRole")
            .WithSummary("Changes a user's role; the workspace's last enabled Admin and installation admins cannot be demoted.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:guid}/disable", Disable).WithName("DisableUser")
            .WithSummary("Disables a user: their sessions and tokens stop working. The last enabled Admin cannot be disabled.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:guid}/enable", Enable).WithName("EnableUser")
            .WithSummary("Enables a disabled user again.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    public static RouteGroupBuilder MapWorkspacesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/workspaces").WithTags("Workspaces").RequireAuthorization(HubPolicies.InstallationAdmin)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/", ListWorkspaces).WithName("ListWorkspaces").WithSummary("All workspaces, the default one first.");
        group.MapGet("/{id:guid}", GetWorkspace).WithName("GetWorkspace").WithSummary("One workspace.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/", CreateWorkspace).WithName("CreateWorkspace")
            .WithSummary("Creates a workspace; add its users with POST /api/v1/users and its id.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    public static async Task<Results<Ok<IReadOnlyList<UserInfo>>, ProblemHttpResult>> List(
        Guid? workspaceId, HttpContext context, UserDirectory users, CancellationToken cancellationToken)
    {
        var outcome = await users.ListAsync(context.Caller(), workspaceId, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value) : outcome.Error.ToProblem();
    }

    public static async Task<Results<Ok<UserInfo>, ProblemHttpResult>> Get(
        Guid id, HttpContext context, UserDirectory users, CancellationToken cancellationToken) =>
        ToResult(await users.GetAsync(context.Caller(), id, cancellationToken));

    public static async Task<Results<Created<CreatedUser>, ProblemHttpResult>> Create(
        CreateUserRequest request, HttpContext context, UserDirectory users, CancellationToken cancellationToken)
    {
        var outcome = await users.CreateAsync(context.Caller(), request.Email, request.Password, request.Role, request.WorkspaceId, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/v1/users/{outcome.Value.User.Id}", outcome.Value)
            : outcome.Error.ToProblem();
    }

    public static async Task<Results<Ok<UserInfo>, ProblemHttpResult>> SetRole(
        Guid id, SetRoleRequest request, HttpContext context, UserDirectory users, CancellationToken cancellationToken) =>
        ToResult(await users.SetRoleAsync(context.Caller(), id, request.Role, cancellationToken));

    public static async Task<Results<Ok<UserInfo>, ProblemHttpResult>> Disable(
        Guid id, HttpContext context, UserDirectory users, CancellationToken cancellationToken) =>
        ToResult(await users.SetDisabledAsync(context.Caller(), id, disabled: true, cancellationToken));

    public static async Task<Results<Ok<UserInfo>, ProblemHttpResult>> Enable(
        Guid id, HttpContext context, UserDirectory users, CancellationToken cancellationToken) =>
        ToResult(await users.SetDisabledAsync(context.Caller(), id, disabled: false, cancellationToken));

    public static async Task<Ok<IReadOnlyList<WorkspaceInfo>>> ListWorkspaces(UserDirectory users, CancellationToken cancellationToken) =>
        TypedResults.Ok(await users.ListWorkspacesAsync(cancellationToken));

    public static async Task<Results<Ok<WorkspaceInfo>, ProblemHttpResult>> GetWorkspace(
        Guid id, UserDirectory users, CancellationToken cancellationToken)
    {
        var outcome = await users.GetWorkspaceAsync(id, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value) : outcome.Error.ToProblem();
    }

    public static async Task<Results<Created<WorkspaceInfo>, ProblemHttpResult>> CreateWorkspace(
        CreateWorkspaceRequest request, UserDirectory users, CancellationToken cancellationToken)
    {
        var outcome = await users.CreateWorkspaceAsync(request.Name, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/v1/workspaces/{outcome.Value.Id}", outcome.Value)
            : outcome.Error.ToProblem();
    }

    private static Results<Ok<UserInfo>, ProblemHttpResult> ToResult(Outcome<UserInfo> outcome) =>
        outcome.Succeeded ? TypedResults.Ok(outcome.Value) : outcome.Error.ToProblem();
}

/// <param name="Password">Optional: without it a random initial password is generated and returned once.</param>
/// <param name="WorkspaceId">Installation admins only; default the caller's workspace.</param>
internal sealed record CreateUserRequest(string? Email, string? Password, UserRole? Role, Guid? WorkspaceId);

internal sealed record SetRoleRequest(UserRole? Role);

internal sealed record CreateWorkspaceRequest(string? Name);
