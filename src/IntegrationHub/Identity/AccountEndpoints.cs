using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace IntegrationHub.Identity;

/// <summary>
/// <c>/account/login</c> and <c>/account/logout</c>: the browser's cookie. Both take JSON (answering with status codes)
/// or a plain HTML form post (answering with a redirect).
/// </summary>
internal static class AccountEndpoints
{
    public static RouteGroupBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        // The form posts read the form themselves: they need no antiforgery token (a cross-site post is refused below).
        var group = app.MapGroup("/account").WithTags("Account").AllowAnonymous().DisableAntiforgery();
        // Order -1: the sign-in page may live at the same path (GET) and Blazor maps POST for its pages too; the form post is ours.
        // Its body is described to OpenAPI by AccountOpenApi: Accepts metadata would make routing answer another content
        // type with a bare 415, before the handler could say what to send.
        group.MapPost("/login", Login).WithName("Login").WithOrder(-1)
            .WithSummary("Signs in with email and password and sets the HttpOnly, SameSite=Lax cookie. JSON or form post.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .AddOpenApiOperationTransformer(AccountOpenApi.DescribeLoginAsync);
        group.MapPost("/logout", Logout).WithName("Logout").WithOrder(-1).WithSummary("Removes the cookie.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .AddOpenApiOperationTransformer(AccountOpenApi.DescribeLogoutAsync);
        return group;
    }

    /// <summary><c>GET /account/login/microsoft?returnUrl=</c>: "Sign in with Microsoft" (only when AzureAd has a client secret).</summary>
    public static RouteHandlerBuilder MapMicrosoftSignIn(this IEndpointRouteBuilder app) =>
        app.MapGet(AccountPaths.MicrosoftLogin, (string? returnUrl) => TypedResults.Challenge(
                new AuthenticationProperties { RedirectUri = SafeReturnUrl(returnUrl) }, [HubSchemes.Microsoft]))
            .WithTags("Account").AllowAnonymous().WithName("LoginWithMicrosoft")
            .WithSummary("Starts \"Sign in with Microsoft\" (OpenID Connect); comes back signed in with the hub cookie.");

    public static async Task<Results<Ok<MeResponse>, RedirectHttpResult, ProblemHttpResult>> Login(
        HttpContext context, AccountSignIn accounts, TimeProvider time, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (request.HasFormContentType)
        {
            if (IsCrossSite(request))
            {
                return CrossSite();
            }
            var form = await request.ReadFormAsync(cancellationToken);
            var returnUrl = SafeReturnUrl(form["returnUrl"]);
            var status = await accounts.PasswordSignInAsync(
                context, form["email"], form["password"], IsChecked(form["rememberMe"]), cancellationToken);
            return status == SignInStatus.SignedIn
                ? TypedResults.LocalRedirect(returnUrl)
                : TypedResults.LocalRedirect($"{AccountPaths.Login}?failed={FailureCode(status)}&returnUrl={Uri.EscapeDataString(returnUrl)}");
        }

        if (!request.HasJsonContentType())
        {
            return IdentityProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "Send application/json { email, password } or a form post.");
        }

        LoginRequest? login;
        try
        {
            login = await request.ReadFromJsonAsync<LoginRequest>(cancellationToken);
        }
        catch (JsonException ex)
        {
            return IdentityProblems.Problem(StatusCodes.Status400BadRequest, "Bad request", Hosting.RequestErrorText.Describe(ex, typeof(LoginRequest)));
        }

        // A request without the fields is a client's mistake, not a wrong password: it says which field is missing.
        var missing = new[] { ("email", login?.Email), ("password", login?.Password) }
            .Where(f => string.IsNullOrEmpty(f.Item2)).Select(f => f.Item1).ToList();
        if (missing.Count > 0)
        {
            return IdentityError.Invalid(missing.ToDictionary(f => f, f => new[] { $"{f} is required." }))
                .ToProblem(context.Response);
        }

        var (result, user) = await accounts.CheckPasswordAsync(login!.Email, login.Password, cancellationToken);
        switch (result)
        {
            case SignInStatus.SignedIn:
                await accounts.SignInAsync(context, user!, login.RememberMe ?? false);
                return TypedResults.Ok(new MeResponse(user!.Id, user.Email, user.WorkspaceId, user.Role, user.IsInstallationAdmin));
            case SignInStatus.InvalidCredentials:
                return IdentityProblems.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "The email or password is wrong.");
            case SignInStatus.Disabled:
                return IdentityProblems.Problem(StatusCodes.Status403Forbidden, "Forbidden", "This account is disabled. Ask an admin of your workspace.");
            case SignInStatus.LockedOut:
                var now = time.GetUtcNow();
                var until = accounts.LockedOutUntil(login.Email!) ?? now;
                return IdentityError.TooManyAttempts("Too many wrong passwords for this account lately. Try again later.", until - now)
                    .ToProblem(context.Response);
            default:
                throw new InvalidOperationException($"Unknown sign-in status {result}.");
        }
    }

    public static async Task<Results<NoContent, RedirectHttpResult, ProblemHttpResult>> Logout(
        HttpContext context, AccountSignIn accounts, CancellationToken cancellationToken)
    {
        // Whatever the body: another site's page may post text/plain or nothing at all without a preflight.
        if (IsCrossSite(context.Request))
        {
            return CrossSite();
        }
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(cancellationToken);
            await accounts.SignOutAsync(context);
            return TypedResults.LocalRedirect(form.ContainsKey("returnUrl") ? SafeReturnUrl(form["returnUrl"]) : AccountPaths.Login);
        }

        await accounts.SignOutAsync(context);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// A return URL that stays on this site: a path starting with one slash. Anything else (<c>//evil.example</c>,
    /// <c>/\evil.example</c>, <c>https://...</c>) becomes <c>/</c>, or the login would be an open redirect.
    /// Non-ASCII characters come back percent-encoded as UTF-8 (<c>/scenarios?q=Müller</c> as <c>?q=M%C3%BCller</c>):
    /// the URL goes into a Location header, and Kestrel refuses a non-ASCII header value with a 500.
    /// </summary>
    internal static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl)
        && returnUrl[0] == '/'
        && (returnUrl.Length == 1 || (returnUrl[1] != '/' && returnUrl[1] != '\\'))
        && !returnUrl.Any(char.IsControl)
            ? EscapeNonAscii(returnUrl)
            : "/";

    /// <summary>
    /// Percent-encodes the non-ASCII characters only; a <c>%</c> already there stays, so encoding twice changes nothing
    /// (the sign-in page hands the URL back through its form).
    /// </summary>
    private static string EscapeNonAscii(string url)
    {
        if (System.Text.Ascii.IsValid(url))
        {
            return url;
        }
        var escaped = new System.Text.StringBuilder(url.Length * 2);
        var start = 0;
        while (start < url.Length)
        {
            var end = start;
            while (end < url.Length && !char.IsAscii(url[end]))
            {
                end++;
            }
            if (end == start)
            {
                escaped.Append(url[start]);
                start++;
                continue;
            }
            // A whole run at once, so that a surrogate pair becomes the one UTF-8 sequence of its character.
            escaped.Append(Uri.EscapeDataString(url[start..end]));
            start = end;
        }
        return escaped.ToString();
    }

    /// <summary>
    /// Browsers say where a post came from; one from another site is a login or logout forgery (the SameSite=Lax cookie
    /// protects everything else, but not these two: a cross-site form post carries the cookie, and a login needs none).
    /// A browser without Fetch Metadata is judged by its <c>Origin</c>, or it could be made to sign in as the attacker.
    /// </summary>
    private static bool IsCrossSite(HttpRequest request) => RequestOrigin.IsFromAnotherSite(request, sameSiteToo: false);

    private static ProblemHttpResult CrossSite() =>
        IdentityProblems.Problem(StatusCodes.Status403Forbidden, "Forbidden", "Sign-in forms must be posted from this site.");

    /// <summary>What the sign-in page reads from <c>?failed=</c>: <c>true</c> (wrong email or password), <c>disabled</c>, <c>locked</c>.</summary>
    private static string FailureCode(SignInStatus status) => status switch
    {
        SignInStatus.Disabled => "disabled",
        SignInStatus.LockedOut => "locked",
        SignInStatus.InvalidCredentials => "true",
        SignInStatus.SignedIn => "",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    private static bool IsChecked(string? value) => value is "true" or "on" or "True";
}

/// <param name="RememberMe">Keep the cookie across browser restarts.</param>
internal sealed record LoginRequest(string? Email, string? Password, bool? RememberMe);
