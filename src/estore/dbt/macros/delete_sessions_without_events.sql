{#-
    Post-hook of the incremental fct_sessions: delete the sessions none of whose events is left
    in fct_events (their pair's rows all belonged to loads that were replaced or vanished, so no
    new row of that pair tells fct_sessions to replace them). Every event of fct_events lies in
    exactly one session, so the sessions' event counts add up to the rows of fct_events unless
    such sessions remain: the anti-join over fct_events runs only then (renders to nothing
    otherwise, and dbt skips an empty hook). Nothing to do on a full refresh or first build.
-#}
{% macro delete_sessions_without_events(events_relation) -%}
    {%- if execute and is_incremental() -%}
        {%- set counts = run_query(
            "select (select count(*) from " ~ events_relation ~ ") as event_rows,"
            ~ " (select coalesce(sum(events), 0) from " ~ this ~ ") as session_events"
        ) -%}
        {%- if counts.columns[0].values()[0] != counts.columns[1].values()[0] -%}
            delete from {{ this }}
            where session_key not in (select session_key from {{ events_relation }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
