using System.Buffers.Text;
using System.Data;
using System.Security.Cryptography;
using IntegrationHub.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace IntegrationHub.Identity;

/// <summary>A user as admins see them (never the password hash).</summary>
internal sealed record UserInfo(Guid Id, string Email, Guid WorkspaceId, UserRole Role, bool IsInstallationAdmin, bool Disabled, DateTimeOffset CreatedAt)
{
    internal static UserInfo From(User u) => new(u.Id, u.Email, u.WorkspaceId, u.Role, u.IsInstallationAdmin, u.Disabled, u.CreatedAt);
}

/// <summary>A user just created; <see cref="InitialPassword"/> is set (and shown once) when the admin gave none.</summary>
internal sealed record CreatedUser(UserInfo User, string? InitialPassword);

/// <summary>A workspace as installation admins see it.</summary>
internal sealed record WorkspaceInfo(Guid Id, string Name, DateTimeOffset CreatedAt);

/// <summary>
/// User and workspace administration. Admins manage the users of their own workspace; installation admins any workspace.
/// Users of a workspace the caller may not manage are reported as not found, so their existence does not leak.
/// Every workspace keeps at least one enabled Admin, and the installation one enabled installation admin, whom only
/// installation admins may change.
/// </summary>
internal sealed class UserDirectory(HubDbContext db, IPasswordHasher<User> passwordHasher, IMemoryCache cache, TimeProvider time)
{
    /// <summary>Role and state changes are rare; running them one at a time per node keeps the last-admin check sound.</summary>
    private static readonly SemaphoreSlim AdminChangeGate = new(1, 1);

    /// <summary>Users of <paramref name="workspaceId"/> (installation admins only) or of the caller's workspace, by email.</summary>
    public async Task<Outcome<IReadOnlyList<UserInfo>>> ListAsync(HubCaller caller, Guid? workspaceId, CancellationToken cancellationToken)
    {
        var scope = await ResolveWorkspaceAsync(caller, workspaceId, cancellationToken);
        if (!scope.Succeeded)
        {
            return scope.Error;
        }

        var users = await db.Users.AsNoTracking().Where(u => u.WorkspaceId == scope.Value).OrderBy(u => u.NormalizedEmail).ToListAsync(cancellationToken);
        return users.Select(UserInfo.From).ToList();
    }

    /// <summary>Creates a user; without <paramref name="password"/> a random initial password is generated and returned once.</summary>
    public async Task<Outcome<CreatedUser>> CreateAsync(
        HubCaller caller, string? email, string? password, UserRole? role, Guid? workspaceId, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (CredentialRules.CheckEmail(email) is { } emailError)
        {
            errors["email"] = [emailError];
        }
        if (password is not null && CredentialRules.CheckPassword(password, email) is { } passwordError)
        {
            errors["password"] = [passwordError];
        }
        if (role is null || !Enum.IsDefined(role.Value))
        {
            errors["role"] = ["role must be Admin, Editor, Operator or Viewer."];
        }
        if (errors.Count > 0)
        {
            return IdentityError.Invalid(errors);
        }

        var scope = await ResolveWorkspaceAsync(caller, workspaceId, cancellationToken);
        if (!scope.Succeeded)
        {
            return scope.Error;
        }

        var normalized = CredentialRules.NormalizeEmail(email!);
        if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken))
        {
            return DuplicateEmail();
        }

        var initialPassword = password is null ? GeneratePassword() : null;
        var user = new User
        {
            WorkspaceId = scope.Value,
            Email = email!.Trim(),
            NormalizedEmail = normalized,
            Role = role!.Value,
            CreatedAt = time.GetUtcNow(),
        };
        user.PasswordHash = passwordHasher.HashPassword(user, password ?? initialPassword!);
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Someone created the same email between the check and the insert: the unique index said no.
            db.ChangeTracker.Clear();
            if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken))
            {
                return DuplicateEmail();
            }
            throw;
        }
        return new CreatedUser(UserInfo.From(user), initialPassword);
    }

    /// <summary>Changes a user's role; refuses to demote the workspace's last enabled Admin or an installation admin.</summary>
    public async Task<Outcome<UserInfo>> SetRoleAsync(HubCaller caller, Guid userId, UserRole? role, CancellationToken cancellationToken)
    {
        if (role is null || !Enum.IsDefined(role.Value))
        {
            return IdentityError.Invalid("role", "role must be Admin, Editor, Operator or Viewer.");
        }

        return await ChangeUserAsync(caller, userId, user => user.Role == UserRole.Admin && role != UserRole.Admin && !user.Disabled,
            user => user.Role = role.Value, cancellationToken);
    }

    /// <summary>One user the caller may manage; users of other workspaces are not found.</summary>
    public async Task<Outcome<UserInfo>> GetAsync(HubCaller caller, Guid userId, CancellationToken cancellationToken) =>
        await FindManagedAsync(caller, userId, cancellationToken) is { } user ? UserInfo.From(user) : UserNotFound();

    /// <summary>
    /// Disables a user (their cookies end for good, their tokens stop working) or enables them again (their tokens work
    /// again; they sign in anew).
    /// </summary>
    public Task<Outcome<UserInfo>> SetDisabledAsync(HubCaller caller, Guid userId, bool disabled, CancellationToken cancellationToken) =>
        ChangeUserAsync(caller, userId, user => disabled && !user.Disabled && user.Role == UserRole.Admin,
            user =>
            {
                if (disabled && !user.Disabled)
                {
                    // A new stamp, or enabling them again would bring back every cookie they had, a stolen one too.
                    user.SessionStamp = Guid.NewGuid();
                }
                user.Disabled = disabled;
            }, cancellationToken);

    /// <summary>All workspaces, oldest (the default) first.</summary>
    public async Task<IReadOnlyList<WorkspaceInfo>> ListWorkspacesAsync(CancellationToken cancellationToken)
    {
        var workspaces = await db.Workspaces.AsNoTracking().ToListAsync(cancellationToken);
        return [.. workspaces.OrderBy(w => w.CreatedAt).ThenBy(w => w.Id).Select(w => new WorkspaceInfo(w.Id, w.Name, w.CreatedAt))];
    }

    /// <summary>How many users (enabled or not) each workspace has; workspaces without any are missing.</summary>
    public async Task<IReadOnlyDictionary<Guid, int>> CountUsersByWorkspaceAsync(CancellationToken cancellationToken) =>
        await db.Users.GroupBy(u => u.WorkspaceId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);

    /// <summary>One workspace, for installation admins.</summary>
    public async Task<Outcome<WorkspaceInfo>> GetWorkspaceAsync(Guid id, CancellationToken cancellationToken)
    {
        var workspace = await db.Workspaces.AsNoTracking().FirstOrDefaultAsync(w => w.Id == id, cancellationToken);
        return workspace is null ? WorkspaceNotFound() : new WorkspaceInfo(workspace.Id, workspace.Name, workspace.CreatedAt);
    }

    /// <summary>Creates a workspace; names are unique (case-insensitive) so people can tell them apart.</summary>
    public async Task<Outcome<WorkspaceInfo>> CreateWorkspaceAsync(string? name, CancellationToken cancellationToken)
    {
        if (CredentialRules.CheckWorkspaceName(name) is { } problem)
        {
            return IdentityError.Invalid("name", problem);
        }

        var workspace = new Workspace { Name = name!.Trim(), CreatedAt = time.GetUtcNow() };
        if (await db.Workspaces.AnyAsync(w => w.NormalizedName == workspace.NormalizedName, cancellationToken))
        {
            return DuplicateWorkspace(workspace.Name);
        }

        db.Workspaces.Add(workspace);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Someone created a workspace of the same name between the check and the insert: the unique index said no.
            db.ChangeTracker.Clear();
            if (await db.Workspaces.AnyAsync(w => w.NormalizedName == workspace.NormalizedName, cancellationToken))
            {
                return DuplicateWorkspace(workspace.Name);
            }
            throw;
        }
        return new WorkspaceInfo(workspace.Id, workspace.Name, workspace.CreatedAt);
    }

    /// <summary>The workspace the caller acts on: their own, or (installation admins only) the one they name.</summary>
    private async Task<Outcome<Guid>> ResolveWorkspaceAsync(HubCaller caller, Guid? workspaceId, CancellationToken cancellationToken)
    {
        if (workspaceId is null || workspaceId == caller.WorkspaceId)
        {
            return caller.WorkspaceId;
        }
        if (!caller.IsInstallationAdmin || !await db.Workspaces.AnyAsync(w => w.Id == workspaceId, cancellationToken))
        {
            return WorkspaceNotFound();
        }
        return workspaceId.Value;
    }

    /// <summary>
    /// Applies <paramref name="change"/> to a user the caller may manage, unless it would remove the workspace's last
    /// enabled Admin (<paramref name="removesAnAdmin"/>), take an installation admin below Admin or disable the last one.
    /// Two admins demoting each other at once must not both succeed:
    /// on this node the gate orders them, across nodes the serializable transaction fails one of them (409).
    /// </summary>
    private async Task<Outcome<UserInfo>> ChangeUserAsync(
        HubCaller caller, Guid userId, Func<User, bool> removesAnAdmin, Action<User> change, CancellationToken cancellationToken)
    {
        await AdminChangeGate.WaitAsync(cancellationToken);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
            var user = await FindManagedAsync(caller, userId, cancellationToken);
            if (user is null)
            {
                return UserNotFound();
            }
            if (user.IsInstallationAdmin && !caller.IsInstallationAdmin)
            {
                // A workspace's Admin must not lock the installation out of managing its workspaces.
                return IdentityError.Forbidden("Only an installation admin may change an installation admin.");
            }
            if (removesAnAdmin(user) && await IsLastAdminAsync(user, cancellationToken))
            {
                return IdentityError.Conflict("This is the workspace's last enabled Admin; make another user Admin first.");
            }

            change(user);
            if (user is { IsInstallationAdmin: true } && user.Role != UserRole.Admin)
            {
                // The Admin role is what lets them add users at all: below it they could no longer give a new workspace
                // its users, and no workspace Admin could promote them back. Cleared so no later save in this scope writes it.
                db.ChangeTracker.Clear();
                return IdentityError.Conflict("An installation admin's role stays Admin; below it they could no longer manage users of any workspace.");
            }
            if (user is { IsInstallationAdmin: true, Disabled: true } && await IsLastInstallationAdminAsync(user, cancellationToken))
            {
                db.ChangeTracker.Clear();
                return IdentityError.Conflict("This is the last enabled installation admin; nobody could manage workspaces without them.");
            }
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            CookieSessionValidator.Evict(cache, user.Id);
            await EvictTokensAsync(user.Id, cancellationToken);
            return UserInfo.From(user);
        }
        catch (Exception ex) when (DatabaseErrors.IsSerializationFailure(ex))
        {
            return IdentityError.Conflict("Another change to this workspace's users happened at the same time; try again.");
        }
        finally
        {
            AdminChangeGate.Release();
        }
    }

    private Task<User?> FindManagedAsync(HubCaller caller, Guid userId, CancellationToken cancellationToken) =>
        caller.IsInstallationAdmin
            ? db.Users.FirstOrDefaultAsync(u => u.Id == userId, cancellationToken)
            : db.Users.FirstOrDefaultAsync(u => u.Id == userId && u.WorkspaceId == caller.WorkspaceId, cancellationToken);

    private async Task<bool> IsLastAdminAsync(User admin, CancellationToken cancellationToken) =>
        !await db.Users.AnyAsync(
            u => u.WorkspaceId == admin.WorkspaceId && u.Id != admin.Id && u.Role == UserRole.Admin && !u.Disabled, cancellationToken);

    private async Task<bool> IsLastInstallationAdminAsync(User admin, CancellationToken cancellationToken) =>
        !await db.Users.AnyAsync(u => u.IsInstallationAdmin && u.Id != admin.Id && !u.Disabled, cancellationToken);

    /// <summary>Cached token lookups carry the user's role and state; drop them so the change applies on this node at once.</summary>
    private async Task EvictTokensAsync(Guid userId, CancellationToken cancellationToken)
    {
        var hashes = await db.AccessTokens.Where(t => t.UserId == userId).Select(t => t.Hash).ToListAsync(cancellationToken);
        foreach (var hash in hashes)
        {
            AccessTokenAuthenticationHandler.Evict(cache, hash);
        }
    }

    /// <summary>18 random bytes as base64url: 24 characters, 144 bits.</summary>
    private static string GeneratePassword() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(18));

    private static IdentityError WorkspaceNotFound() => IdentityError.NotFound("There is no such workspace.");

    private static IdentityError UserNotFound() => IdentityError.NotFound("There is no such user in your workspace.");

    private static IdentityError DuplicateWorkspace(string name) => IdentityError.Conflict($"A workspace named '{name}' exists already.");

    private static IdentityError DuplicateEmail() => IdentityError.Conflict("A user with this email exists already.");
}
