{#-
    The (kind, id) pairs int_group_assignments assigned another group after `last_build` (a SQL
    expression: when the calling model last built) although they already had one then: the
    products and categories whose events that build counted under a group they have since left.
    int_session_groups_by_day and int_session_categories recount the sessions holding them.
-#}
{% macro regrouped_ids_query(last_build) -%}
    select kind, id
    from {{ ref('int_group_assignments') }}
    group by kind, id
    having max(assigned_at) > {{ last_build }}
        and min(assigned_at) <= {{ last_build }}
{%- endmacro %}
