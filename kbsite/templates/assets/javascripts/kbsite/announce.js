/* Material for MkDocs 9.8.2 (MIT licence), partials/javascripts/announce.html, moved out of the page
   so the Content-Security-Policy needs no 'unsafe-inline'. Keep in step when Material is upgraded. */
var el=document.querySelector("[data-md-component=announce]");if(el){var content=el.querySelector(".md-typeset");__md_hash(content.innerHTML)===__md_get("__announce")&&(el.hidden=!0)}
