package node

import (
	"fmt"
	"math"

	"github.com/tiiuae/rclgo/pkg/rclgo"

	rclmsg "github.com/aether-lab/aether-bridge/msgs/gen/rcl_interfaces/msg"
	rclsrv "github.com/aether-lab/aether-bridge/msgs/gen/rcl_interfaces/srv"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/rosparam"
)

// serveParameters offers the standard parameter services under the node's
// name (~/list_parameters, ~/get_parameters, …) so `ros2 param` and rclpy's
// parameter client work on the bridge.
func (n *Node) serveParameters() error {
	ps := bridge.NewParamServer(n.params, n.settings, n.applyLive)
	respond := func(name string, send func() error) {
		if err := send(); err != nil {
			n.log.Error("sending parameter service response", "service", name, "err", err)
		}
	}
	var errs []error
	check := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("creating service ~/%s: %w", name, err))
		}
	}
	_, err := rclsrv.NewListParametersService(n.node, "~/list_parameters", nil,
		func(_ *rclgo.ServiceInfo, req *rclsrv.ListParameters_Request, send rclsrv.ListParametersServiceResponseSender) {
			resp := rclsrv.NewListParameters_Response()
			resp.Result.Names, resp.Result.Prefixes = ps.List(req.Prefixes, req.Depth)
			respond("list_parameters", func() error { return send.SendResponse(resp) })
		})
	check("list_parameters", err)
	_, err = rclsrv.NewGetParametersService(n.node, "~/get_parameters", nil,
		func(_ *rclgo.ServiceInfo, req *rclsrv.GetParameters_Request, send rclsrv.GetParametersServiceResponseSender) {
			resp := rclsrv.NewGetParameters_Response()
			for _, v := range ps.Get(req.Names) {
				resp.Values = append(resp.Values, toMsgValue(v))
			}
			respond("get_parameters", func() error { return send.SendResponse(resp) })
		})
	check("get_parameters", err)
	_, err = rclsrv.NewGetParameterTypesService(n.node, "~/get_parameter_types", nil,
		func(_ *rclgo.ServiceInfo, req *rclsrv.GetParameterTypes_Request, send rclsrv.GetParameterTypesServiceResponseSender) {
			resp := rclsrv.NewGetParameterTypes_Response()
			for _, v := range ps.Get(req.Names) {
				resp.Types = append(resp.Types, uint8(v.Type))
			}
			respond("get_parameter_types", func() error { return send.SendResponse(resp) })
		})
	check("get_parameter_types", err)
	_, err = rclsrv.NewDescribeParametersService(n.node, "~/describe_parameters", nil,
		func(_ *rclgo.ServiceInfo, req *rclsrv.DescribeParameters_Request, send rclsrv.DescribeParametersServiceResponseSender) {
			resp := rclsrv.NewDescribeParameters_Response()
			for _, d := range ps.Describe(req.Names) {
				resp.Descriptors = append(resp.Descriptors, toMsgDescriptor(d))
			}
			respond("describe_parameters", func() error { return send.SendResponse(resp) })
		})
	check("describe_parameters", err)
	_, err = rclsrv.NewSetParametersService(n.node, "~/set_parameters", nil,
		func(_ *rclgo.ServiceInfo, req *rclsrv.SetParameters_Request, send rclsrv.SetParametersServiceResponseSender) {
			resp := rclsrv.NewSetParameters_Response()
			rs := ps.Set(fromMsgParams(req.Parameters), false)
			for _, r := range rs {
				resp.Results = append(resp.Results, rclmsg.SetParametersResult{Successful: r.OK, Reason: r.Reason})
			}
			respond("set_parameters", func() error { return send.SendResponse(resp) })
			n.publishParameterEvent(nil, changedParameters(req.Parameters, func(i int) bool { return i < len(rs) && rs[i].OK }))
		})
	check("set_parameters", err)
	_, err = rclsrv.NewSetParametersAtomicallyService(n.node, "~/set_parameters_atomically", nil,
		func(_ *rclgo.ServiceInfo, req *rclsrv.SetParametersAtomically_Request, send rclsrv.SetParametersAtomicallyServiceResponseSender) {
			resp := rclsrv.NewSetParametersAtomically_Response()
			rs := ps.Set(fromMsgParams(req.Parameters), true)
			if len(rs) > 0 {
				resp.Result = rclmsg.SetParametersResult{Successful: rs[0].OK, Reason: rs[0].Reason}
			} else {
				resp.Result.Successful = true
			}
			respond("set_parameters_atomically", func() error { return send.SendResponse(resp) })
			n.publishParameterEvent(nil, changedParameters(req.Parameters, func(int) bool { return resp.Result.Successful }))
		})
	check("set_parameters_atomically", err)
	if len(errs) > 0 {
		return errs[0]
	}
	return n.createParameterEvents()
}

// applyLive takes the parameters that may change at run time into effect.
func (n *Node) applyLive(s bridge.Settings) {
	n.core.SetClamp(s.Clamp)
	if err := n.hand.SetMapping(s.Hand); err != nil {
		n.log.Error("applying hand.* parameters", "err", err)
	}
	n.log.Info("parameters changed", "clamp_to_workspace", s.Clamp)
}

func fromMsgParams(ps []rclmsg.Parameter) []bridge.NamedValue {
	out := make([]bridge.NamedValue, len(ps))
	for i, p := range ps {
		v := p.Value
		out[i] = bridge.NamedValue{Name: p.Name, Value: rosparam.Value{
			Type: rosparam.Type(v.Type), BoolValue: v.BoolValue, IntegerValue: v.IntegerValue,
			DoubleValue: v.DoubleValue, StringValue: v.StringValue, ByteArrayValue: v.ByteArrayValue,
			BoolArrayValue: v.BoolArrayValue, IntegerArrayValue: v.IntegerArrayValue,
			DoubleArrayValue: v.DoubleArrayValue, StringArrayValue: v.StringArrayValue,
		}}
	}
	return out
}

func toMsgValue(v rosparam.Value) rclmsg.ParameterValue {
	return rclmsg.ParameterValue{Type: uint8(v.Type), BoolValue: v.BoolValue, IntegerValue: v.IntegerValue,
		DoubleValue: v.DoubleValue, StringValue: v.StringValue, ByteArrayValue: v.ByteArrayValue,
		BoolArrayValue: v.BoolArrayValue, IntegerArrayValue: v.IntegerArrayValue,
		DoubleArrayValue: v.DoubleArrayValue, StringArrayValue: v.StringArrayValue}
}

func toMsgDescriptor(d rosparam.Descriptor) rclmsg.ParameterDescriptor {
	out := rclmsg.ParameterDescriptor{Name: d.Name, Type: uint8(d.Type), Description: d.Description, ReadOnly: d.ReadOnly}
	if r := d.Range; r != nil {
		switch d.Type {
		case rosparam.TypeInteger, rosparam.TypeIntegerArray:
			out.IntegerRange = []rclmsg.IntegerRange{{FromValue: clampInt(r.Min), ToValue: clampInt(r.Max), Step: uint64(r.Step)}}
		case rosparam.TypeDouble, rosparam.TypeDoubleArray:
			out.FloatingPointRange = []rclmsg.FloatingPointRange{{FromValue: r.Min, ToValue: r.Max, Step: r.Step}}
		}
	}
	return out
}

func clampInt(f float64) int64 {
	switch {
	case f <= math.MinInt64:
		return math.MinInt64
	case f >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(f)
}
