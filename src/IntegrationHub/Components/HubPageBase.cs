using IntegrationHub.Identity;
using Microsoft.AspNetCore.Components;

namespace IntegrationHub.Components;

/// <summary>
/// What every signed-in page needs: the request (pages render statically on the server, so there always is one)
/// and the caller it was made by.
/// </summary>
public abstract class HubPageBase : ComponentBase
{
    [CascadingParameter] public HttpContext HttpContext { get; set; } = null!;

    [Inject] protected NavigationManager Navigation { get; set; } = null!;

    [Inject] private FlashMessages FlashMessages { get; set; } = null!;

    /// <summary>The signed-in caller. Pages are behind an authorization policy, so it is there on every page that needs it.</summary>
    private protected HubCaller Caller => HubCaller.From(HttpContext.User)
        ?? throw new InvalidOperationException("The page was rendered without a signed-in hub user.");

    protected CancellationToken RequestAborted => HttpContext.RequestAborted;

    protected bool IsPost => HttpMethods.IsPost(HttpContext.Request.Method);

    /// <summary>The confirmation <paramref name="messageParameter"/> (the page's <c>?message=</c>) carries, or null (<see cref="FlashMessages"/>).</summary>
    protected string? Confirmation(string? messageParameter) => FlashMessages.Read(messageParameter);

    /// <summary><paramref name="path"/> showing <paramref name="message"/> as its confirmation once there (<see cref="FlashMessages"/>).</summary>
    protected string WithConfirmation(string path, string message) => FlashMessages.Href(path, message);
}
