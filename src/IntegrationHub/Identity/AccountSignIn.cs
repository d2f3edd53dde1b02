using System.Security.Claims;
using IntegrationHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace IntegrationHub.Identity;

/// <summary>How a password sign-in ended.</summary>
internal enum SignInStatus
{
    /// <summary>The cookie was issued.</summary>
    SignedIn,
    /// <summary>Unknown email or wrong password (deliberately indistinguishable).</summary>
    InvalidCredentials,
    /// <summary>The password was right but an admin disabled the account.</summary>
    Disabled,
    /// <summary>Too many wrong passwords for this email lately; the password was not even checked. Try again later.</summary>
    LockedOut,
}

/// <summary>
/// Email and password sign-in for the browser: checks the password with ASP.NET Core Identity's hasher and issues
/// the hub's cookie. Used by <c>POST /account/login</c> and by the sign-in page.
/// </summary>
internal sealed partial class AccountSignIn(
    IDbContextFactory<HubDbContext> dbFactory,
    IPasswordHasher<User> passwordHasher,
    IMemoryCache cache,
    SignInThrottle throttle,
    TimeProvider time,
    ILogger<AccountSignIn> logger)
{
    /// <summary>Checked against when the email is unknown, so that the answer takes as long as for a known one.</summary>
    private static readonly Lazy<string> DecoyHash = new(() =>
        new PasswordHasher<User>().HashPassword(new User { Email = "", NormalizedEmail = "" }, Guid.NewGuid().ToString()));

    /// <summary>
    /// Checks <paramref name="email"/> and <paramref name="password"/>, then signs the browser in with the hub cookie.
    /// Call it before the response starts (a form post handler, a minimal API endpoint).
    /// </summary>
    /// <param name="isPersistent">Keep the cookie across browser restarts ("remember me").</param>
    public async Task<SignInStatus> PasswordSignInAsync(
        HttpContext httpContext, string? email, string? password, bool isPersistent, CancellationToken cancellationToken)
    {
        var (status, user) = await CheckPasswordAsync(email, password, cancellationToken);
        if (status != SignInStatus.SignedIn)
        {
            return status;
        }

        await SignInAsync(httpContext, user!, isPersistent);
        return SignInStatus.SignedIn;
    }

    /// <summary>When an email that is <see cref="SignInStatus.LockedOut"/> may try again.</summary>
    public DateTimeOffset? LockedOutUntil(string email) => throttle.LockedUntil(CredentialRules.NormalizeEmail(email));

    /// <summary>
    /// Checks credentials without signing in. Upgrades the stored hash when the hasher asks for it
    /// (<see cref="PasswordVerificationResult.SuccessRehashNeeded"/>). The user is returned only with <see cref="SignInStatus.SignedIn"/>.
    /// </summary>
    public async Task<(SignInStatus Status, User? User)> CheckPasswordAsync(string? email, string? password, CancellationToken cancellationToken)
    {
        // No account has a longer email, and the throttle keeps one entry per email tried: megabyte-long ones would
        // make its memory the limit of how fast sign-ins can be tried.
        if (string.IsNullOrWhiteSpace(email) || email.Length > CredentialRules.MaximumEmailLength
            || string.IsNullOrEmpty(password) || password.Length > CredentialRules.MaximumPasswordLength)
        {
            return (SignInStatus.InvalidCredentials, null);
        }

        var normalized = CredentialRules.NormalizeEmail(email);
        if (!throttle.TryBeginAttempt(normalized))
        {
            LogLockedOut(logger);
            return (SignInStatus.LockedOut, null);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        if (user?.PasswordHash is null)
        {
            passwordHasher.VerifyHashedPassword(new User { Email = "", NormalizedEmail = "" }, DecoyHash.Value, password);
            LogRejected(logger);
            return (SignInStatus.InvalidCredentials, null);
        }

        var verdict = passwordHasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            // The attempt stays counted as a failure.
            LogRejected(logger);
            return (SignInStatus.InvalidCredentials, null);
        }
        throttle.Reset(normalized);
        if (user.Disabled)
        {
            return (SignInStatus.Disabled, null);
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = passwordHasher.HashPassword(user, password);
            await db.SaveChangesAsync(cancellationToken);
        }
        return (SignInStatus.SignedIn, user);
    }

    /// <summary>
    /// Issues the hub cookie for <paramref name="user"/> (after first-run setup, say), with a session of its own. Does not
    /// check the password. A session the browser came with ends: the cookie scheme would otherwise put the new sign-in
    /// into it, under the same key, and every earlier copy of that cookie (one an attacker planted, one stolen before a
    /// password change) would be signed in as this user.
    /// </summary>
    public async Task SignInAsync(HttpContext httpContext, User user, bool isPersistent = false)
    {
        await EndSessionOfRequestAsync(httpContext);
        var properties = new AuthenticationProperties { IsPersistent = isPersistent };
        await httpContext.SignInAsync(HubSchemes.NewSession, CreateCookiePrincipal(user), properties);
        LogSignedIn(logger, user.Id);
    }

    /// <summary>Ends the session the request's cookie holds, if it holds one; the cookie itself is then replaced or removed.</summary>
    internal static async Task EndSessionOfRequestAsync(HttpContext httpContext)
    {
        var current = await httpContext.AuthenticateAsync(HubSchemes.Cookie);
        if (current.Succeeded)
        {
            await httpContext.SignOutAsync(HubSchemes.Cookie);
        }
    }

    /// <summary>Removes the hub cookie.</summary>
    public async Task SignOutAsync(HttpContext httpContext)
    {
        await httpContext.SignOutAsync(HubSchemes.Cookie);
        if (HubCaller.From(httpContext.User)?.UserId is { } userId)
        {
            LogSignedOut(logger, userId);
        }
    }

    /// <summary>
    /// Changes the signed-in user's password after checking the current one. Other browsers' sessions end (their
    /// cookies carry the old password's stamp); when the caller is the cookie, it is issued again so this browser stays signed in.
    /// </summary>
    public async Task<Outcome<User>> ChangePasswordAsync(
        HttpContext httpContext, string? currentPassword, string? newPassword, CancellationToken cancellationToken)
    {
        if (HubCaller.From(httpContext.User)?.UserId is not { } userId)
        {
            return IdentityError.Forbidden("This caller has no hub user account.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null || user.Disabled)
        {
            return IdentityError.NotFound("The account no longer exists.");
        }

        // A user without a password yet (created for Microsoft sign-in) sets one without a current password.
        if (user.PasswordHash is not null)
        {
            if (string.IsNullOrEmpty(currentPassword))
            {
                return IdentityError.Invalid("currentPassword", "Enter your current password.");
            }
            if (currentPassword.Length > CredentialRules.MaximumPasswordLength)
            {
                return IdentityError.Invalid("currentPassword", "The current password is wrong.");
            }
            // Whoever holds a session or token must not be able to guess the password without limit: the guesses count
            // against the sign-in throttle of the account, before the check, as sign-in's do.
            if (!throttle.TryBeginAttempt(user.NormalizedEmail))
            {
                LogPasswordChangeLockedOut(logger, user.Id);
                return TooManyWrongPasswords(user.NormalizedEmail);
            }
            if (passwordHasher.VerifyHashedPassword(user, user.PasswordHash, currentPassword) == PasswordVerificationResult.Failed)
            {
                LogPasswordChangeRejected(logger, user.Id);
                return IdentityError.Invalid("currentPassword", "The current password is wrong.");
            }
            throttle.Reset(user.NormalizedEmail);
        }
        if (CredentialRules.CheckPassword(newPassword, user.Email) is { } error)
        {
            return IdentityError.Invalid("newPassword", error);
        }

        user.PasswordHash = passwordHasher.HashPassword(user, newPassword!);
        await db.SaveChangesAsync(cancellationToken);
        CookieSessionValidator.Evict(cache, user.Id);
        if (httpContext.User.Identity?.AuthenticationType == HubSchemes.Cookie)
        {
            await SignInAsync(httpContext, user);
        }
        return user;
    }

    private IdentityError TooManyWrongPasswords(string normalizedEmail)
    {
        var now = time.GetUtcNow();
        var until = throttle.LockedUntil(normalizedEmail) ?? now;
        return IdentityError.TooManyAttempts(
            $"Too many wrong passwords for this account lately. Try again after {until.UtcDateTime:HH:mm} UTC.", until - now);
    }

    /// <summary>
    /// The cookie's principal: the hub claims plus a stamp of the password hash, so that changing the password
    /// ends the sessions of every other browser, and the user's session stamp, so that disabling them ends every session
    /// (see <see cref="CookieSessionValidator"/>).
    /// </summary>
    internal static ClaimsPrincipal CreateCookiePrincipal(User user)
    {
        var claims = HubPrincipal.Claims(user)
            .Append(new Claim(CookieSessionValidator.PasswordStampClaim, CookieSessionValidator.PasswordStamp(user.PasswordHash)))
            .Append(new Claim(CookieSessionValidator.SessionStampClaim, user.SessionStamp.ToString()));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, HubSchemes.Cookie, ClaimTypes.Name, HubClaims.Role));
    }

    // Neither the email nor the password is logged: a mistyped password often lands in the email field.
    [LoggerMessage(Level = LogLevel.Information, Message = "A password sign-in was refused")]
    private static partial void LogRejected(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} signed in")]
    private static partial void LogSignedIn(ILogger logger, Guid userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} signed out")]
    private static partial void LogSignedOut(ILogger logger, Guid userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A password sign-in was refused without checking: too many wrong passwords for that email lately")]
    private static partial void LogLockedOut(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "User {UserId} gave a wrong current password to change it")]
    private static partial void LogPasswordChangeRejected(ILogger logger, Guid userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId} may not change their password now: too many wrong passwords for the account lately")]
    private static partial void LogPasswordChangeLockedOut(ILogger logger, Guid userId);
}
