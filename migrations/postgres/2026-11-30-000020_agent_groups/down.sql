DROP TABLE agent_group_members;
DROP TABLE agent_groups;
