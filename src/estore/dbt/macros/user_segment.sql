{#-
    The current RFM segment of a user, from a left join to dim_user_rfm aliased `rfm`: users who
    never bought have no row there and are 'Prospects'; a buyer no rule of var rfm_segments
    matches is 'Unsegmented' (never with the default rules). Sessions grouped by it add up to
    all sessions.
-#}
{% macro user_segment(rfm) -%}
    case
        when {{ rfm }}.user_id is null then 'Prospects'
        else coalesce({{ rfm }}.segment, 'Unsegmented')
    end
{%- endmacro %}
